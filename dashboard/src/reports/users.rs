//! Reads of the user store: a user by name, every user, the user of an API token.
//! (Writes are inserts of whole rows, in [`crate::auth`].)
use super::statement::{binds, NoBinds, Sampled, Statement};
use crate::auth::UserRow;
use emc_sql::Db;

binds! {
    pub struct Username { username: String }
}

binds! {
    /// A token's SHA-256 (hex) and the current moment (Unix seconds).
    pub struct TokenAt { token_hash: String, now: u32 }
}

pub const USER_BY_NAME: Statement<Username> = Statement::fixed(
    "dashboard.user_by_name",
    "SELECT username, password_hash, role, agencies, created_at, version, deleted, email \
     FROM users FINAL WHERE username = :username AND deleted = 0",
);

pub const LIST_USERS: Statement<NoBinds> = Statement::fixed(
    "dashboard.list_users",
    "SELECT username, password_hash, role, agencies, created_at, version, deleted, email \
     FROM users FINAL WHERE deleted = 0 ORDER BY username",
);

pub const TOKEN_USER: Statement<TokenAt> = Statement::fixed(
    "dashboard.token_user",
    "SELECT username FROM api_tokens FINAL WHERE token_hash = :token_hash AND deleted = 0 \
     AND expires_at > toDateTime(:now)",
);

pub async fn find_user(
    db: &Db,
    username: &str,
) -> Result<Option<UserRow>, clickhouse::error::Error> {
    let p = Username {
        username: username.to_owned(),
    };
    USER_BY_NAME
        .query(db, &p)?
        .fetch_optional::<UserRow>()
        .await
}

pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, clickhouse::error::Error> {
    LIST_USERS
        .query(db, &NoBinds {})?
        .fetch_all::<UserRow>()
        .await
}

/// The user of an unexpired, undeleted token.
pub async fn token_user(
    db: &Db,
    token_hash: String,
    now: u32,
) -> Result<Option<String>, clickhouse::error::Error> {
    TOKEN_USER
        .query(db, &TokenAt { token_hash, now })?
        .fetch_optional()
        .await
}

pub fn catalog() -> Vec<Sampled> {
    vec![
        USER_BY_NAME.sampled(Username {
            username: "admin".into(),
        }),
        LIST_USERS.sampled(NoBinds {}),
        TOKEN_USER.sampled(TokenAt {
            token_hash: "00ff".into(),
            now: 1772298000,
        }),
    ]
}
