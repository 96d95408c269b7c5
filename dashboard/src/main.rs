//! `emc-dashboard`: `serve` (pages, JSON API, CSV, the daily retention job), the registry
//! commands (agency, site), `goal add` / `annotation add`, and `retention`.
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use emc_dashboard::alerts::{self, AlertConfig};
use emc_dashboard::digest::{self, period::ReportPeriod, send::ReportConfig};
use emc_dashboard::notes_cli::{self, AnnotationCommand, GoalCommand};
use emc_dashboard::notify::{Notifier, NotifyConfig};
use emc_dashboard::ranking::RankingConfig;
use emc_dashboard::retention::{schedule, Policy};
use emc_dashboard::{auth, AppState, WebConfig};
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
    /// Cluster name: migrations are applied in their cluster form. Unset: a single server.
    #[arg(long, env = "EMC_CLICKHOUSE_CLUSTER", global = true)]
    clickhouse_cluster: Option<String>,
    #[arg(long, env = "EMC_DATA_DIR", default_value = "./var", global = true)]
    data_dir: PathBuf,
    #[arg(
        long,
        env = "EMC_TIMEZONE",
        default_value = "Asia/Ho_Chi_Minh",
        global = true
    )]
    timezone: String,
    /// Public base URL of the collector, used in the tag snippet.
    #[arg(
        long,
        env = "EMC_COLLECTOR_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
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
    /// Goals, as `POST /api/v1/goals` creates them.
    Goal {
        #[command(subcommand)]
        command: GoalCommand,
    },
    /// Annotations, as `POST /api/v1/annotations` creates them.
    Annotation {
        #[command(subcommand)]
        command: AnnotationCommand,
    },
    /// Serve the pages, the JSON API and CSV exports.
    Serve(ServeArgs),
    /// Run the retention job once and print what it dropped (or, with --dry-run, would drop).
    Retention(RetentionArgs),
    /// Scheduled reports.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Builds an agency's monthly report now and mails it to every subscriber of monthly
    /// reports whose scope covers the agency.
    Send(ReportSendArgs),
}

#[derive(Debug, Args)]
struct ReportSendArgs {
    /// The agency (its id).
    #[arg(long)]
    agency: String,
    /// The month, YYYY-MM.
    #[arg(long)]
    month: String,
    #[command(flatten)]
    notify: NotifyArgs,
    #[arg(long, env = "EMC_SILENCE_SECS", default_value_t = emc_dashboard::health::DEFAULT_SILENCE_SECS)]
    silence_secs: u64,
    #[arg(long, env = "EMC_RANKING_CONFIG")]
    ranking_config: Option<PathBuf>,
}

/// How long data is kept (read by `serve` and `retention`).
#[derive(Debug, Clone, Args)]
struct PolicyArgs {
    /// Months of raw rows (events, sessions, connection log) kept; at least 12.
    #[arg(long, env = "EMC_RETENTION_MONTHS", default_value_t = emc_dashboard::retention::DEFAULT_MONTHS)]
    retention_months: u32,
    /// Months of rollups kept; unset: as EMC_RETENTION_MONTHS; at least 12.
    #[arg(long, env = "EMC_ROLLUP_RETENTION_MONTHS")]
    rollup_retention_months: Option<u32>,
}

impl PolicyArgs {
    fn policy(&self) -> anyhow::Result<Policy> {
        Policy::from_config(Some(self.retention_months), self.rollup_retention_months)
            .map_err(anyhow::Error::from)
    }
}

#[derive(Debug, Args)]
struct RetentionArgs {
    #[command(flatten)]
    policy: PolicyArgs,
    /// Decide and print, drop nothing.
    #[arg(long)]
    dry_run: bool,
    /// The day the job runs as (YYYY-MM-DD); default: today in EMC_TIMEZONE.
    #[arg(long)]
    today: Option<String>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    #[arg(long, env = "EMC_DASHBOARD_ADDR", default_value = "127.0.0.1:3000")]
    addr: String,
    /// Password of user `admin`, created when no user exists (else a random one is printed once).
    #[arg(long, env = "EMC_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// Mark cookies `Secure` (set it when the dashboard is served over TLS).
    #[arg(long, env = "EMC_SECURE_COOKIES", default_value_t = false)]
    secure_cookies: bool,
    /// Seconds a browser session lasts.
    #[arg(long, env = "EMC_SESSION_TTL_SECS", default_value_t = 12 * 3600)]
    session_ttl_secs: i64,
    /// A site not heard from for longer than this is flagged silent.
    #[arg(long, env = "EMC_SILENCE_SECS", default_value_t = emc_dashboard::health::DEFAULT_SILENCE_SECS)]
    silence_secs: u64,
    /// JSON file of ranking weights (see README, Ranking); unset: the shipped defaults.
    #[arg(long, env = "EMC_RANKING_CONFIG")]
    ranking_config: Option<PathBuf>,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    notify: NotifyArgs,
    /// Seconds between two evaluations of the alert rules.
    #[arg(long, env = "EMC_ALERT_EVAL_SECS", default_value_t = emc_dashboard::alerts::DEFAULT_EVAL_SECS)]
    alert_eval_secs: u64,
}

/// Email and webhooks (read by `serve` and `report send`).
#[derive(Debug, Clone, Args)]
struct NotifyArgs {
    /// SMTP server: smtp://host:port (clear), smtps://user:pass@host:465 (TLS),
    /// smtp://user:pass@host:587?tls=required (STARTTLS). Unset: no email is sent (logged).
    #[arg(long, env = "EMC_SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From address of every email.
    #[arg(long, env = "EMC_MAIL_FROM", default_value = emc_dashboard::notify::DEFAULT_MAIL_FROM)]
    mail_from: String,
    /// Key of the HMAC-SHA256 signature of webhooks (X-EMC-Signature). Unset: no webhook is sent (logged).
    #[arg(long, env = "EMC_WEBHOOK_SECRET", hide_env_values = true)]
    webhook_secret: Option<String>,
    /// The dashboard's public address, for links in messages.
    #[arg(long, env = "EMC_DASHBOARD_PUBLIC_URL", default_value = emc_dashboard::notify::DEFAULT_DASHBOARD_URL)]
    dashboard_public_url: String,
    /// The Chromium that prints reports to PDF.
    #[arg(long, env = "EMC_CHROMIUM", default_value = emc_dashboard::digest::pdf::DEFAULT_CHROMIUM)]
    chromium: String,
}

impl NotifyArgs {
    fn config(&self) -> NotifyConfig {
        NotifyConfig {
            smtp_url: self.smtp_url.clone(),
            mail_from: self.mail_from.clone(),
            webhook_secret: self.webhook_secret.clone(),
            dashboard_url: self.dashboard_public_url.clone(),
            ..NotifyConfig::default()
        }
    }
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
        /// A query parameter that makes a page view a site search (repeat for several);
        /// none: Matomo's defaults q, query, s, search, searchword, k, keyword.
        #[arg(long = "search-param")]
        search_params: Vec<String>,
    },
    /// Lists sites.
    List,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Configuration errors first, before touching ClickHouse.
    match &cli.command {
        Command::Serve(a) => {
            a.policy.policy()?;
            RankingConfig::load(a.ranking_config.as_deref())?;
            emc_dashboard::notify::email::check_config(&a.notify.config())?;
        }
        Command::Retention(a) => {
            a.policy.policy()?;
        }
        Command::Report {
            command: ReportCommand::Send(a),
        } => {
            emc_dashboard::notify::email::check_config(&a.notify.config())?;
            ReportPeriod::month(&a.month, parse_tz(&cli.common.timezone)?)
                .map_err(|e| anyhow::anyhow!("--month: {e}"))?;
            RankingConfig::load(a.ranking_config.as_deref())?;
        }
        _ => {}
    }
    let target = DbTarget::from_config(cli.common.clickhouse_url.as_deref(), &cli.common.data_dir);
    let opts = MigrateOptions {
        timezone: cli.common.timezone.clone(),
        topology: Topology::from_cluster(cli.common.clickhouse_cluster.as_deref()),
    };
    let db = Db::open(&target, &cli.common.clickhouse_db, &opts)
        .await
        .context("opening ClickHouse")?;
    match cli.command {
        Command::Agency { command } => agency(&db, command).await,
        Command::Site { command } => site(&db, command, &cli.common.collector_url).await,
        Command::Goal { command } => notes_cli::goal(&db, command).await,
        Command::Annotation { command } => notes_cli::annotation(&db, command).await,
        Command::Serve(args) => serve(db, args, &cli.common).await,
        Command::Retention(args) => retention(&db, args, &cli.common.timezone).await,
        Command::Report {
            command: ReportCommand::Send(args),
        } => report_send(db, args, &cli.common.timezone).await,
    }
}

async fn report_send(db: Db, args: ReportSendArgs, tz: &str) -> anyhow::Result<()> {
    let tz = parse_tz(tz)?;
    let period =
        ReportPeriod::month(&args.month, tz).map_err(|e| anyhow::anyhow!("--month: {e}"))?;
    let notifier = Notifier::new(db, &args.notify.config())?;
    let cfg = ReportConfig {
        ranking: RankingConfig::load(args.ranking_config.as_deref())?,
        silence_secs: args.silence_secs,
        tz,
        chromium: args.notify.chromium.clone(),
    };
    let now = chrono::Utc::now().timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let (recipients, delivered) =
        digest::send::send_agency(&notifier, &cfg, &args.agency, period, now).await?;
    println!(
        "report {} {}: {recipients} subscriber(s) in scope, {delivered} delivery(ies) made (see the delivery log on /admin)",
        args.agency,
        period.key()
    );
    Ok(())
}

fn parse_tz(tz: &str) -> anyhow::Result<chrono_tz::Tz> {
    tz.parse()
        .map_err(|_| anyhow::anyhow!("EMC_TIMEZONE {tz:?} is not an IANA timezone"))
}

async fn serve(db: Db, args: ServeArgs, common: &Common) -> anyhow::Result<()> {
    let cfg = WebConfig {
        tz: parse_tz(&common.timezone)?,
        secure_cookies: args.secure_cookies,
        collector_url: common.collector_url.clone(),
        session_ttl_secs: args.session_ttl_secs,
        ranking: RankingConfig::load(args.ranking_config.as_deref())?,
        silence_secs: args.silence_secs,
        retention: args.policy.policy()?,
    };
    if let Some(password) = auth::ensure_admin(&db, args.admin_password.as_deref())
        .await
        .context("creating the admin user")?
    {
        println!("created user admin with password: {password}");
        println!("(shown once; set EMC_ADMIN_PASSWORD to choose it)");
    }
    let listener = tokio::net::TcpListener::bind(&args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    println!("dashboard: http://{}", listener.local_addr()?);
    let job = schedule::spawn_daily(db.clone(), cfg.retention, cfg.tz);
    let notifier = Notifier::new(db.clone(), &args.notify.config())?;
    let alert_cfg = AlertConfig {
        silence_secs: cfg.silence_secs,
        tz: cfg.tz,
    };
    let alert_job = alerts::spawn(notifier.clone(), alert_cfg, args.alert_eval_secs);
    let report_cfg = ReportConfig {
        ranking: cfg.ranking,
        silence_secs: cfg.silence_secs,
        tz: cfg.tz,
        chromium: args.notify.chromium.clone(),
    };
    let report_job = digest::send::spawn(notifier, report_cfg);
    let app = emc_dashboard::router(AppState::new(db, cfg));
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
        .context("serving")?;
    job.abort();
    alert_job.abort();
    report_job.abort();
    Ok(())
}

async fn retention(db: &Db, args: RetentionArgs, tz: &str) -> anyhow::Result<()> {
    let policy = args.policy.policy()?;
    let today = match &args.today {
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .with_context(|| format!("--today {s:?}: YYYY-MM-DD"))?,
        None => emc_dashboard::params::today(parse_tz(tz)?),
    };
    let report = schedule::run_recorded(db, &policy, today, args.dry_run).await?;
    println!("{report}");
    Ok(())
}

async fn agency(db: &Db, command: AgencyCommand) -> anyhow::Result<()> {
    match command {
        AgencyCommand::Add {
            id,
            name,
            group,
            parent,
        } => {
            let group = AgencyGroup::parse(&group)?;
            let row = registry::add_agency(
                db,
                NewAgency {
                    id,
                    name,
                    group,
                    parent,
                },
            )
            .await?;
            println!("agency {} added ({})", row.id, row.group_kind);
        }
        AgencyCommand::List => {
            println!("{:<16} {:<10} {:<16} name", "id", "group", "parent");
            for a in registry::list_agencies(db).await? {
                println!(
                    "{:<16} {:<10} {:<16} {}",
                    a.id, a.group_kind, a.parent, a.name
                );
            }
        }
    }
    Ok(())
}

async fn site(db: &Db, command: SiteCommand, collector_url: &str) -> anyhow::Result<()> {
    match command {
        SiteCommand::Add {
            name,
            domains,
            kind,
            parent,
            agency,
            code,
            search_params,
        } => {
            let kind = SiteKind::parse(&kind)?;
            registry::normalize_search_params(&search_params)?;
            let mut row = registry::add_site(
                db,
                NewSite {
                    name,
                    domains,
                    kind,
                    parent,
                    agency,
                    code,
                },
            )
            .await?;
            if !search_params.is_empty() {
                row = registry::set_search_params(db, &row, &search_params).await?;
                println!("site search parameters: {}", row.search_params.join(", "));
            }
            println!("code: {}", row.code);
            println!("snippet: {}", registry::snippet(collector_url, &row.code));
        }
        SiteCommand::List => {
            println!(
                "{:<8} {:<10} {:<8} {:<12} {:<40} name",
                "code", "kind", "parent", "agency", "domains"
            );
            for s in registry::list_sites(db).await? {
                println!(
                    "{:<8} {:<10} {:<8} {:<12} {:<40} {}",
                    s.code,
                    s.kind,
                    s.parent,
                    s.agency,
                    s.domains.join(","),
                    s.name
                );
            }
        }
    }
    Ok(())
}
