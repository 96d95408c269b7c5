//! Annotations (migration `annotations`): their rows, and those of a date range.
//! Dates are ClickHouse `Date`s: days since 1970-01-01 on the wire.
use super::statement::{binds, Sampled, Statement};
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// An annotation as stored (latest version wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct AnnotationRow {
    pub id: String,
    /// The site it belongs to, or `""` for an agency's note.
    pub site: String,
    /// The agency it belongs to, or `""` for a site's note.
    pub agency: String,
    /// First day (days since 1970-01-01).
    pub date: u16,
    /// Last day, `date` for a one-day note.
    pub end_date: u16,
    pub text: String,
    pub created_by: String,
    pub created_at: u32,
    pub version: u64,
    pub deleted: u8,
}

const COLUMNS: &str =
    "id, site, agency, date, end_date, text, created_by, created_at, version, deleted";

binds! {
    pub struct AnnotationId { id: String }
}

binds! {
    /// Days `YYYY-MM-DD`, both included.
    pub struct Days { from: String, to: String }
}

/// Every live annotation that overlaps the days.
pub fn in_range_statement() -> Statement<Days> {
    Statement::built(
        "dashboard.annotations_in_range",
        format!(
            "SELECT {COLUMNS} FROM annotations FINAL WHERE deleted = 0 \
             AND date <= toDate(:to) AND end_date >= toDate(:from) ORDER BY date, id"
        ),
    )
}

/// One annotation by id, deleted or not.
pub fn by_id_statement() -> Statement<AnnotationId> {
    Statement::built(
        "dashboard.annotation_by_id",
        format!("SELECT {COLUMNS} FROM annotations FINAL WHERE id = :id"),
    )
}

pub async fn in_range(
    db: &Db,
    from: String,
    to: String,
) -> Result<Vec<AnnotationRow>, clickhouse::error::Error> {
    in_range_statement()
        .query(db, &Days { from, to })?
        .fetch_all()
        .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<AnnotationRow>, clickhouse::error::Error> {
    let p = AnnotationId { id: id.to_owned() };
    by_id_statement().query(db, &p)?.fetch_optional().await
}

/// Writes a version of an annotation (a new one, or a tombstone with `deleted = 1`).
pub async fn write(db: &Db, row: &AnnotationRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<AnnotationRow>("annotations").await?;
    ins.write(row).await?;
    ins.end().await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        in_range_statement().sampled(Days {
            from: "2026-03-01".into(),
            to: "2026-03-31".into(),
        }),
        by_id_statement().sampled(AnnotationId { id: "a1".into() }),
    ]
}
