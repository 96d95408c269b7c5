//! `emc-dashboard goal add` and `emc-dashboard annotation add`: the same creation as
//! `POST /api/v1/goals` and `POST /api/v1/annotations` (validation, registry check, audit
//! line), made by the operator at the console (audited as user `cli`, with an admin's scope).
use crate::annotations::{self, AnnotationInput};
use crate::goals::{self, GoalInput};
use crate::scope::{Principal, Role};
use clap::{Args, Subcommand};
use emc_sql::Db;

/// Whose name the audit log keeps for what the console creates.
pub const CLI_USER: &str = "cli";

/// A site (code) or an agency (id): exactly one.
#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct Owner {
    #[arg(long)]
    pub site: Option<String>,
    #[arg(long)]
    pub agency: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum GoalCommand {
    /// Creates a goal (a custom event's name, or a page path with * wildcards); prints its id.
    Add {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        name: String,
        #[arg(long, required_unless_present = "page", conflicts_with = "page")]
        event: Option<String>,
        #[arg(long)]
        page: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum AnnotationCommand {
    /// Creates a dated note (YYYY-MM-DD, optional --end for a span); prints its id.
    Add {
        #[command(flatten)]
        owner: Owner,
        #[arg(long)]
        date: String,
        #[arg(long)]
        end: Option<String>,
        #[arg(long)]
        text: String,
    },
}

fn console() -> Principal {
    Principal {
        username: CLI_USER.into(),
        role: Role::Admin,
        agencies: Vec::new(),
    }
}

pub async fn goal(db: &Db, command: GoalCommand) -> anyhow::Result<()> {
    let GoalCommand::Add {
        owner,
        name,
        event,
        page,
    } = command;
    let input = GoalInput {
        site: owner.site,
        agency: owner.agency,
        name,
        event,
        page,
    };
    let row = goals::create(db, &console(), &input).await?;
    println!("goal {} added", row.id);
    Ok(())
}

pub async fn annotation(db: &Db, command: AnnotationCommand) -> anyhow::Result<()> {
    let AnnotationCommand::Add {
        owner,
        date,
        end,
        text,
    } = command;
    let input = AnnotationInput {
        site: owner.site,
        agency: owner.agency,
        date,
        end,
        text,
    };
    let row = annotations::create(db, &console(), &input).await?;
    println!("annotation {} added", row.id);
    Ok(())
}
