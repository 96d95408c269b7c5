//! `emc-dashboard`: the registry commands (agency, site) and, with its own issue, `serve`.
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::{Db, DbTarget, MigrateOptions, Topology};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "emc-dashboard", version, about = "EMC dashboard and registry")]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Common {
    /// HTTP URL of ClickHouse; unset: the managed local server under EMC_DATA_DIR.
    #[arg(long, env = "EMC_CLICKHOUSE_URL", global = true)]
    clickhouse_url: Option<String>,
    #[arg(long, env = "EMC_CLICKHOUSE_DB", default_value = "emc", global = true)]
    clickhouse_db: String,
    #[arg(long, env = "EMC_DATA_DIR", default_value = "./var", global = true)]
    data_dir: PathBuf,
    #[arg(long, env = "EMC_TIMEZONE", default_value = "Asia/Ho_Chi_Minh", global = true)]
    timezone: String,
    /// Public base URL of the collector, used in the tag snippet.
    #[arg(long, env = "EMC_COLLECTOR_PUBLIC_URL", default_value = "http://127.0.0.1:8080", global = true)]
    collector_url: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Agencies: ministries, provinces and other bodies that own sites.
    Agency {
        #[command(subcommand)]
        command: AgencyCommand,
    },
    /// Sites (portals and component sites) that embed the tag.
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
}

#[derive(Debug, Subcommand)]
enum AgencyCommand {
    /// Registers an agency.
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["ministry", "province", "other"])]
        group: String,
        /// The agency above this one.
        #[arg(long)]
        parent: Option<String>,
    },
    /// Lists agencies.
    List,
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// Registers a site and prints its code and tag snippet.
    Add {
        #[arg(long)]
        name: String,
        /// A host name the site serves pages on; repeat for several.
        #[arg(long = "domain", required = true)]
        domains: Vec<String>,
        #[arg(long, value_parser = ["portal", "component"])]
        kind: String,
        /// The portal a component site belongs to (its code).
        #[arg(long)]
        parent: Option<String>,
        #[arg(long)]
        agency: String,
        /// Keep an existing EMC site id (e.g. 227) instead of a new code.
        #[arg(long)]
        code: Option<String>,
    },
    /// Lists sites.
    List,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let target = DbTarget::from_config(cli.common.clickhouse_url.as_deref(), &cli.common.data_dir);
    let opts = MigrateOptions { timezone: cli.common.timezone.clone(), topology: Topology::Single };
    let db = Db::open(&target, &cli.common.clickhouse_db, &opts).await.context("opening ClickHouse")?;
    match cli.command {
        Command::Agency { command } => agency(&db, command).await,
        Command::Site { command } => site(&db, command, &cli.common.collector_url).await,
    }
}

async fn agency(db: &Db, command: AgencyCommand) -> anyhow::Result<()> {
    match command {
        AgencyCommand::Add { id, name, group, parent } => {
            let group = AgencyGroup::parse(&group)?;
            let row = registry::add_agency(db, NewAgency { id, name, group, parent }).await?;
            println!("agency {} added ({})", row.id, row.group_kind);
        }
        AgencyCommand::List => {
            println!("{:<16} {:<10} {:<16} name", "id", "group", "parent");
            for a in registry::list_agencies(db).await? {
                println!("{:<16} {:<10} {:<16} {}", a.id, a.group_kind, a.parent, a.name);
            }
        }
    }
    Ok(())
}

async fn site(db: &Db, command: SiteCommand, collector_url: &str) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add { name, domains, kind, parent, agency, code } => {
            let kind = SiteKind::parse(&kind)?;
            let row = registry::add_site(db, NewSite { name, domains, kind, parent, agency, code }).await?;
            println!("code: {}", row.code);
            println!("snippet: {}", registry::snippet(collector_url, &row.code));
        }
        SiteCommand::List => {
            println!("{:<8} {:<10} {:<8} {:<12} {:<40} name", "code", "kind", "parent", "agency", "domains");
            for s in registry::list_sites(db).await? {
                println!("{:<8} {:<10} {:<8} {:<12} {:<40} {}", s.code, s.kind, s.parent, s.agency, s.domains.join(","), s.name);
            }
        }
    }
    Ok(())
}
