//! The partitions of the tables retention manages (from `system.parts`), and their drop.
//! The decision is [`crate::retention::decide`]; the job is [`crate::retention::run`].
use super::statement::{binds, Sampled, Statement};
use crate::retention::{RAW_TABLES, ROLLUP_TABLES};
use clickhouse::error::Error;
use emc_sql::Db;
use serde::Deserialize;

binds! {
    pub struct Tables { tables: Vec<&'static str> }
}

binds! {
    /// A partition id (`YYYYMM`), bound as a string literal.
    pub struct PartitionId { id: String }
}

/// Partitions of the given tables in the current database, all active parts of one partition
/// together. DateTime-keyed tables fill `min_time`/`max_time`, Date-keyed rollups
/// `min_date`/`max_date`. `has(:tables, table)`, because on 18.16
/// `table IN (SELECT arrayJoin(…))` matches nothing in `system.parts`.
pub const LIST: Statement<Tables> = Statement::fixed(
    "retention.list_partitions",
    "SELECT table, partition_id, toUInt64(sum(rows)), toUInt32(min(min_time)), toUInt32(max(max_time)), \
     min(min_date), max(max_date) FROM system.parts WHERE active AND database = currentDatabase() \
     AND has(:tables, table) GROUP BY table, partition_id ORDER BY table, partition_id",
);

/// Every table retention manages: raw first, then rollups.
pub fn managed() -> impl Iterator<Item = &'static str> {
    RAW_TABLES.into_iter().chain(ROLLUP_TABLES)
}

/// The drop of one partition of a managed table (a table name cannot be bound: it comes from
/// [`managed`] only); `None` for any other table.
pub fn drop_statement(table: &str) -> Option<Statement<PartitionId>> {
    managed().find(|t| *t == table).map(|t| {
        Statement::built(
            format!("retention.drop_{t}"),
            format!("ALTER TABLE {t} DROP PARTITION ID :id"),
        )
    })
}

#[derive(Debug, clickhouse::Row, Deserialize)]
pub struct PartRow {
    pub table: String,
    pub partition_id: String,
    pub rows: u64,
    pub min_time: u32,
    pub max_time: u32,
    pub min_date: u16,
    pub max_date: u16,
}

/// Every partition of the managed tables.
pub async fn list(db: &Db) -> Result<Vec<PartRow>, Error> {
    let p = Tables {
        tables: managed().collect(),
    };
    LIST.query(db, &p)?.fetch_all::<PartRow>().await
}

/// Drops one partition of a managed table.
pub async fn drop_partition(db: &Db, table: &str, id: &str) -> Result<(), Error> {
    let stmt = drop_statement(table)
        .ok_or_else(|| Error::Custom(format!("{table} is not managed by retention")))?;
    stmt.query(db, &PartitionId { id: id.to_owned() })?
        .execute()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    let mut out = vec![LIST.sampled(Tables {
        tables: managed().collect(),
    })];
    for t in managed() {
        if let Some(s) = drop_statement(t) {
            // An old month no test or demo data uses: dropping a missing partition is a no-op.
            out.push(s.sampled(PartitionId {
                id: "197001".into(),
            }));
        }
    }
    out
}
