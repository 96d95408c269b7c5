//! Visitors and hits of the last five minutes, from the raw hits (a few minutes of rows).
use super::samples;
use super::statement::{binds, Sampled, Statement};
use super::visitors::distinct;
use emc_sql::Db;
use serde::Serialize;

/// Visitors and hits in the 5 minutes before now.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Realtime {
    pub visitors: i64,
    pub hits: i64,
}

binds! {
    /// Sites and a moment (Unix seconds).
    pub struct Since { sites: Vec<String>, since: u32 }
}

pub const REALTIME: Statement<Since> = Statement::fixed(
    "dashboard.realtime",
    concat!(
        "SELECT ",
        distinct!("visitor_id"),
        ", toInt64(count()) FROM events WHERE site IN (SELECT arrayJoin(:sites)) ",
        "AND timestamp >= toDateTime(:since) AND session_id != 0"
    ),
);

pub async fn realtime(
    db: &Db,
    sites: &[String],
    now_ts: u32,
) -> Result<Realtime, clickhouse::error::Error> {
    if sites.is_empty() {
        return Ok(Realtime::default());
    }
    let p = Since {
        sites: sites.to_vec(),
        since: now_ts.saturating_sub(300),
    };
    let (visitors, hits): (i64, i64) = REALTIME.query(db, &p)?.fetch_one().await?;
    Ok(Realtime { visitors, hits })
}

pub fn catalog() -> Vec<Sampled> {
    vec![REALTIME.sampled(Since {
        sites: samples::sites(),
        since: 1772298000,
    })]
}
