//! Shared links (migration `shares`): a link by its token's hash, by id, and every live one.
use super::statement::{binds, Sampled, Statement};
use emc_sql::Db;
use serde::{Deserialize, Serialize};

/// A shared link as stored (latest version wins).
#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct ShareRow {
    pub id: String,
    pub site: String,
    /// SHA-256 (hex) of the token in the URL.
    pub token_hash: String,
    /// argon2id PHC string, `""` without a password.
    pub password_hash: String,
    pub created_by: String,
    pub created_at: u32,
    pub version: u64,
    pub deleted: u8,
}

const COLUMNS: &str =
    "id, site, token_hash, password_hash, created_by, created_at, version, deleted";

binds! {
    pub struct ShareId { id: String }
}

binds! {
    pub struct TokenHash { token_hash: String }
}

binds! {
    pub struct NoParams {}
}

/// The newest version of the link with that token hash (revoked or not).
pub fn by_token_statement() -> Statement<TokenHash> {
    Statement::built(
        "dashboard.share_by_token",
        format!("SELECT {COLUMNS} FROM shares FINAL WHERE token_hash = :token_hash"),
    )
}

/// One link by id, revoked or not.
pub fn by_id_statement() -> Statement<ShareId> {
    Statement::built(
        "dashboard.share_by_id",
        format!("SELECT {COLUMNS} FROM shares FINAL WHERE id = :id"),
    )
}

/// Every live link.
pub fn live_statement() -> Statement<NoParams> {
    Statement::built(
        "dashboard.shares_live",
        format!("SELECT {COLUMNS} FROM shares FINAL WHERE deleted = 0 ORDER BY site, created_at"),
    )
}

pub async fn by_token(
    db: &Db,
    token_hash: String,
) -> Result<Option<ShareRow>, clickhouse::error::Error> {
    by_token_statement()
        .query(db, &TokenHash { token_hash })?
        .fetch_optional()
        .await
}

pub async fn find(db: &Db, id: &str) -> Result<Option<ShareRow>, clickhouse::error::Error> {
    let p = ShareId { id: id.to_owned() };
    by_id_statement().query(db, &p)?.fetch_optional().await
}

pub async fn live(db: &Db) -> Result<Vec<ShareRow>, clickhouse::error::Error> {
    live_statement().query(db, &NoParams {})?.fetch_all().await
}

/// Writes a version of a link (a new one, or a revocation with `deleted = 1`).
pub async fn write(db: &Db, row: &ShareRow) -> Result<(), clickhouse::error::Error> {
    let mut ins = db.client().insert::<ShareRow>("shares").await?;
    ins.write(row).await?;
    ins.end().await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        by_token_statement().sampled(TokenHash {
            token_hash: "ab12".into(),
        }),
        by_id_statement().sampled(ShareId { id: "s1".into() }),
        live_statement().sampled(NoParams {}),
    ]
}
