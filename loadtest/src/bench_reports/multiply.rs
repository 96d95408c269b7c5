//! The copies: the pipeline-made base (database `<db>_base`) inserted `copies` times into the
//! bench database by ClickHouse itself, for `events`, `sessions` and `connection_log`:
//!
//! ```sql
//! INSERT INTO db.t (cols) SELECT exprs FROM db_base.t ARRAY JOIN [0, key1, …] AS bench_key
//! WHERE <partition key> = <one month>
//! ```
//!
//! so every materialized view of the bench database fires on the copies exactly as on live
//! inserts and the rollups stay consistent with the raw rows. Copy `k` (copy 0 is the base
//! unchanged) is a distinct set of visits with its own visitors:
//! - `visitor_id`, `session_id` and `batch_id` are XORed with the copy's key (0 stays 0: an
//!   event without a session stays one): a bijection, so each copy has as many visitors and
//!   visits as the base and shares none with another copy;
//! - events get new `event_id`s, a hash of (`event_id`, key) (`generateUUIDv4()` would be
//!   computed once per base row, before the `ARRAY JOIN`);
//! - times, sites, pages, sources, geo and timings are the base's, so a site keeps its Zipf
//!   rank and its day-to-day curve is the base's times the copies. Keeping the days is what
//!   makes this fast: the `ARRAY JOIN` puts the copies of a row next to each other in one
//!   insert block, so each rollup's `GROUP BY` folds them into the same (site, day, …) row
//!   and writes a twentieth of the rows that copies on other days would.
//!
//! One month per statement, so each insert block lands in one partition (few parts to merge).
use crate::model::population::mix;
use emc_sql::db::quote_ident;
use emc_sql::Db;

/// The raw tables the pipeline writes.
pub const TABLES: [&str; 3] = ["events", "sessions", "connection_log"];
/// Columns holding ids that a copy renews by XOR.
const ID_COLUMNS: [&str; 3] = ["visitor_id", "session_id", "batch_id"];
const KEY_SALT: u64 = 0x454d_4342_454e_4348; // "EMCBENCH"
/// Rows of one insert block (base rows read × copies): one materialized-view run each, of
/// bounded memory (the session dimensions' view multiplies them by 11).
pub const INSERT_BLOCK_ROWS: u64 = 327_680;

/// The key of copy `k` (0 for the base itself).
pub fn key(k: u32) -> u64 {
    if k == 0 {
        0
    } else {
        mix(u64::from(k) ^ KEY_SALT) | 1
    }
}

/// The expression a copy inserts for a column of that name and type; `bench_key` is the
/// copy's key.
fn column(name: &str, ty: &str) -> anyhow::Result<String> {
    let q = quote_ident(name)?;
    Ok(if name == "event_id" && ty == "UUID" {
        format!(
            "if(bench_key = 0, {q}, toUUID(UUIDNumToString(toFixedString(concat(\
             reinterpretAsFixedString(cityHash64(toString({q}), bench_key)), \
             reinterpretAsFixedString(cityHash64(bench_key, toString({q})))), 16))))"
        )
    } else if ID_COLUMNS.contains(&name) {
        format!("if({q} = 0, {q}, bitXor({q}, bench_key))")
    } else {
        q
    })
}

/// `INSERT INTO dst (cols) SELECT exprs FROM src ARRAY JOIN keys WHERE part`: `copies`
/// copies of the rows of one partition (`partition_key = partition`, as `system.tables` and
/// `system.parts` spell them); `src` is a table expression (`db.t` or `remote(…)`), `dst` a
/// qualified table; `columns` are the stored `(name, type)`.
pub fn insert(
    src: &str,
    dst: &str,
    columns: &[(String, String)],
    copies: u32,
    partition: (&str, &str),
) -> anyhow::Result<String> {
    anyhow::ensure!(!columns.is_empty(), "table {src} has no columns");
    anyhow::ensure!(
        partition.1.chars().all(|c| c.is_ascii_digit()) && !partition.1.is_empty(),
        "partition {:?} of {src} is not a month number",
        partition.1
    );
    let names = columns
        .iter()
        .map(|(n, _)| quote_ident(n))
        .collect::<Result<Vec<_>, _>>()?;
    let exprs = columns
        .iter()
        .map(|(n, t)| column(n, t))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let keys: Vec<String> = (0..copies.max(1))
        .map(|k| format!("toUInt64({})", key(k)))
        .collect();
    Ok(format!(
        "INSERT INTO {dst} ({}) SELECT {} FROM {src} ARRAY JOIN [{}] AS bench_key WHERE {} = {}",
        names.join(", "),
        exprs.join(", "),
        keys.join(", "),
        partition.0,
        partition.1
    ))
}

/// A table's stored columns (`MATERIALIZED` and `ALIAS` ones are computed on insert).
pub async fn columns(
    db: &Db,
    database: &str,
    table: &str,
) -> anyhow::Result<Vec<(String, String)>> {
    Ok(db
        .client()
        .query(
            "SELECT name, type FROM system.columns WHERE database = ? AND table = ? \
             AND default_kind NOT IN ('MATERIALIZED', 'ALIAS')",
        )
        .bind(database)
        .bind(table)
        .fetch_all::<(String, String)>()
        .await?)
}

/// The partition key of a table and its partitions that hold rows.
async fn partitions(db: &Db, database: &str, table: &str) -> anyhow::Result<(String, Vec<String>)> {
    let key: String = db
        .client()
        .query("SELECT partition_key FROM system.tables WHERE database = ? AND name = ?")
        .bind(database)
        .bind(table)
        .fetch_one()
        .await?;
    let parts: Vec<String> = db
        .client()
        .query(
            "SELECT DISTINCT partition FROM system.parts WHERE database = ? AND table = ? \
             AND active AND rows > 0 ORDER BY partition",
        )
        .bind(database)
        .bind(table)
        .fetch_all()
        .await?;
    Ok((key, parts))
}

/// Where the copies are read from and written to.
pub struct Copy<'a> {
    /// The database holding the base (its columns and partitions are read there).
    pub base: &'a Db,
    /// How the inserting server reaches the base: `None` for the same server, else the base
    /// server's `host:tcp_port` for `remote()`.
    pub remote: Option<&'a str>,
    /// The database receiving the copies (through `Distributed` tables on a cluster).
    pub dst: &'a Db,
    pub copies: u32,
}

impl Copy<'_> {
    fn source(&self, table: &str) -> anyhow::Result<String> {
        let (db, t) = (quote_ident(self.base.database())?, quote_ident(table)?);
        Ok(match self.remote {
            None => format!("{db}.{t}"),
            Some(addr) => format!("remote('{addr}', {db}, {t})"),
        })
    }

    /// Copies one table, month by month; returns the seconds it took.
    async fn table(&self, table: &str) -> anyhow::Result<f64> {
        let started = std::time::Instant::now();
        let cols = columns(self.base, self.base.database(), table).await?;
        let (key, parts) = partitions(self.base, self.base.database(), table).await?;
        // One thread reads the base in key order, so a block holds few (site, day) pairs.
        let client = self
            .dst
            .client()
            .clone()
            .with_setting("max_threads", "1")
            .with_setting(
                "max_block_size",
                (INSERT_BLOCK_ROWS / u64::from(self.copies.max(1)))
                    .max(1024)
                    .to_string(),
            )
            .with_setting("min_insert_block_size_rows", INSERT_BLOCK_ROWS.to_string());
        let dst = format!(
            "{}.{}",
            quote_ident(self.dst.database())?,
            quote_ident(table)?
        );
        let src = self.source(table)?;
        for p in parts {
            let sql = insert(&src, &dst, &cols, self.copies, (&key, &p))?;
            client
                .query(&sql)
                .execute()
                .await
                .map_err(|e| anyhow::anyhow!("copying {table} partition {p}: {e}"))?;
        }
        Ok(started.elapsed().as_secs_f64())
    }

    /// Copies every raw table, two at a time (each insert runs its views on one core);
    /// returns the seconds each took.
    pub async fn run(&self) -> anyhow::Result<Vec<(&'static str, f64)>> {
        let (events, rest) = tokio::try_join!(self.table(TABLES[0]), async {
            let s = self.table(TABLES[1]).await?;
            let c = self.table(TABLES[2]).await?;
            Ok::<_, anyhow::Error>((s, c))
        })?;
        Ok(vec![
            (TABLES[0], events),
            (TABLES[1], rest.0),
            (TABLES[2], rest.1),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_have_distinct_odd_keys_and_the_base_keeps_its_own() {
        assert_eq!(key(0), 0);
        let mut keys: Vec<u64> = (0..20).map(key).collect();
        assert!(keys[1..].iter().all(|k| k % 2 == 1));
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 20);
    }

    #[test]
    fn one_statement_copies_one_month_with_renewed_ids() {
        let cols: Vec<(String, String)> = [
            ("site", "String"),
            ("timestamp", "DateTime"),
            ("event_id", "UUID"),
            ("visitor_id", "UInt64"),
        ]
        .iter()
        .map(|(n, t)| ((*n).to_owned(), (*t).to_owned()))
        .collect();
        let sql = insert(
            "`b`.`events`",
            "`d`.`events`",
            &cols,
            3,
            ("toYYYYMM(timestamp)", "202601"),
        )
        .unwrap();
        assert!(sql.starts_with(
            "INSERT INTO `d`.`events` (`site`, `timestamp`, `event_id`, `visitor_id`) SELECT `site`, `timestamp`, if(bench_key = 0, `event_id`, "
        ));
        assert!(sql.contains("if(`visitor_id` = 0, `visitor_id`, bitXor(`visitor_id`, bench_key))"));
        assert!(sql.ends_with(&format!(
            "FROM `b`.`events` ARRAY JOIN [toUInt64(0), toUInt64({}), toUInt64({})] AS bench_key WHERE toYYYYMM(timestamp) = 202601",
            key(1),
            key(2)
        )));
        assert!(insert("b", "d", &cols, 3, ("toYYYYMM(timestamp)", "1; DROP")).is_err());
    }
}
