//! Sign-in: argon2id passwords, cookie sessions (new id on every login, in memory), CSRF
//! tokens, login throttling, and bearer tokens for the API (stored as SHA-256 hashes).
use crate::error::ApiError;
use crate::scope::{Principal, Role};
use crate::state::AppState;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use emc_sql::Db;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Digest;

pub const SESSION_COOKIE: &str = "emc_session";
pub const LOGIN_CSRF_COOKIE: &str = "emc_login_csrf";
/// Failed sign-ins per user name allowed in one throttle window.
pub const MAX_FAILURES: u32 = 5;
pub const THROTTLE_WINDOW_SECS: i64 = 15 * 60;
pub const TOKEN_DAYS: i64 = 30;

#[derive(Debug, Clone, Default, PartialEq, Eq, clickhouse::Row, Serialize, Deserialize)]
pub struct UserRow {
    pub username: String,
    pub password_hash: String,
    pub role: String,
    pub agencies: Vec<String>,
    pub created_at: u32,
    pub version: u64,
    pub deleted: u8,
    /// Where alerts and reports are mailed (may be empty).
    pub email: String,
}

#[derive(Debug, Clone, clickhouse::Row, Serialize, Deserialize)]
struct TokenRow {
    token_hash: String,
    username: String,
    created_at: u32,
    expires_at: u32,
    version: u64,
    deleted: u8,
}

/// A browser session: who, its CSRF token, when it ends.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub username: String,
    pub csrf: String,
    pub expires_at: i64,
}

/// Random URL-safe text (hex of 32 random bytes).
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// Argon2id memory cost in KiB, with the time and parallelism costs below: the OWASP Password
/// Storage Cheat Sheet's recommended minimum (m=19 MiB, t=2, p=1), which meets RFC 9106's
/// argon2id requirement. RFC 9106's own presets (2 GiB, or 64 MiB with p=4) are sized for
/// machines that hash rarely; a sign-in burst on the dashboard's two cores must not stall.
pub const ARGON2_M_COST: u32 = 19_456;
pub const ARGON2_T_COST: u32 = 2;
pub const ARGON2_P_COST: u32 = 1;

/// The hasher: argon2id, version 0x13, the parameters above stated explicitly (not the
/// crate's defaults, which may change between releases).
fn hasher() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(ARGON2_M_COST, ARGON2_T_COST, ARGON2_P_COST, Some(32))
        .map_err(|e| anyhow::anyhow!("argon2 params: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// A PHC string `$argon2id$v=19$m=19456,t=2,p=1$salt$hash` with a 16-byte random salt.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    let hash = hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?;
    Ok(hash.to_string())
}

/// Checks against the stored hash with the algorithm and parameters the hash names.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

pub async fn find_user(db: &Db, username: &str) -> Result<Option<UserRow>, ApiError> {
    Ok(crate::reports::users::find_user(db, username).await?)
}

pub async fn list_users(db: &Db) -> Result<Vec<UserRow>, ApiError> {
    Ok(crate::reports::users::list_users(db).await?)
}

pub fn principal(u: &UserRow) -> Option<Principal> {
    Some(Principal {
        username: u.username.clone(),
        role: Role::parse(&u.role)?,
        agencies: u.agencies.clone(),
    })
}

/// A new user (or a new version of one). Checks the name, role and agencies.
pub struct NewUser {
    pub username: String,
    pub password: String,
    pub role: String,
    pub agencies: Vec<String>,
    /// Empty, or an address (checked).
    pub email: String,
}

pub async fn create_user(
    db: &Db,
    reg: &crate::scope::Registry,
    new: NewUser,
) -> Result<UserRow, ApiError> {
    emc_sql::registry::check_id("username", &new.username)
        .map_err(|e| ApiError::bad("username", e.to_string()))?;
    let role = Role::parse(&new.role)
        .ok_or_else(|| ApiError::bad("role", "use admin, analyst or owner"))?;
    if new.password.chars().count() < 10 {
        return Err(ApiError::bad("password", "at least 10 characters"));
    }
    for a in &new.agencies {
        if reg.agency(a).is_none() {
            return Err(ApiError::bad(
                "agencies",
                format!("agency {a} does not exist"),
            ));
        }
    }
    match role {
        Role::Analyst if new.agencies.is_empty() => {
            return Err(ApiError::bad(
                "agencies",
                "an analyst needs one or more agencies",
            ))
        }
        Role::Owner if new.agencies.len() != 1 => {
            return Err(ApiError::bad("agencies", "an owner has exactly one agency"))
        }
        _ => {}
    }
    let email = new.email.trim().to_owned();
    if !email.is_empty() {
        crate::notify::email::mailbox(&email).map_err(|e| ApiError::bad("email", e.to_string()))?;
    }
    if find_user(db, &new.username).await?.is_some() {
        return Err(ApiError::Conflict(format!("user {} exists", new.username)));
    }
    let row = UserRow {
        username: new.username,
        password_hash: hash_password(&new.password)?,
        role: role.as_str().into(),
        agencies: if role == Role::Admin {
            vec![]
        } else {
            new.agencies
        },
        created_at: now() as u32,
        version: chrono::Utc::now().timestamp_micros().max(0) as u64,
        deleted: 0,
        email,
    };
    let mut ins = db.client().insert::<UserRow>("users").await?;
    ins.write(&row).await?;
    ins.end().await?;
    Ok(row)
}

/// First start: creates `admin` when no user exists. Returns the password when it was generated.
pub async fn ensure_admin(db: &Db, password: Option<&str>) -> anyhow::Result<Option<String>> {
    if !list_users(db)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .is_empty()
    {
        return Ok(None);
    }
    let (password, generated) = match password.filter(|p| !p.is_empty()) {
        Some(p) => (p.to_owned(), false),
        None => (random_token()[..20].to_owned(), true),
    };
    let row = UserRow {
        username: "admin".into(),
        password_hash: hash_password(&password)?,
        role: "admin".into(),
        created_at: now() as u32,
        version: chrono::Utc::now().timestamp_micros().max(0) as u64,
        ..UserRow::default()
    };
    let mut ins = db.client().insert::<UserRow>("users").await?;
    ins.write(&row).await?;
    ins.end().await?;
    crate::audit::record(db, "system", "user.create", "admin", "first start")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(generated.then_some(password))
}

/// Checks a name and password with throttling: after [`MAX_FAILURES`] failures in the window,
/// `429` until the window passes (even for the right password).
pub async fn check_login(
    state: &AppState,
    username: &str,
    password: &str,
) -> Result<Principal, ApiError> {
    let key = username.to_lowercase();
    check_throttle(state, &key)?;
    let user = find_user(&state.db, username).await?;
    let ok = match &user {
        Some(u) => verify_password(password, &u.password_hash),
        None => {
            // Same work for an unknown name, so timing does not tell names apart.
            let _ = verify_password(password, DUMMY_HASH);
            false
        }
    };
    match (ok, user.as_ref().and_then(principal)) {
        (true, Some(p)) => {
            state.throttle.remove(&key);
            Ok(p)
        }
        _ => {
            let failures = count_failure(state, key);
            tracing::info!(username, failures, "failed sign-in");
            Err(ApiError::Unauthorized)
        }
    }
}

/// `429` while `key` (a user name, or a shared link's `share:ID`) has [`MAX_FAILURES`] failures
/// in the current window.
pub fn check_throttle(state: &AppState, key: &str) -> Result<(), ApiError> {
    match state.throttle.get(key) {
        Some(e) if e.0 >= MAX_FAILURES && now() - e.1 < THROTTLE_WINDOW_SECS => {
            Err(ApiError::Throttled)
        }
        _ => Ok(()),
    }
}

/// Counts a failed password for `key`; the failures in the current window.
pub fn count_failure(state: &AppState, key: String) -> u32 {
    let t = now();
    let mut e = state.throttle.entry(key).or_insert((0, t));
    if t - e.1 >= THROTTLE_WINDOW_SECS {
        *e = (0, t);
    }
    e.0 += 1;
    e.0
}

pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

/// Starts a browser session with a fresh id; returns (id, session).
pub fn start_session(state: &AppState, who: &Principal) -> (String, WebSession) {
    let id = random_token();
    let s = WebSession {
        username: who.username.clone(),
        csrf: random_token(),
        expires_at: now() + state.cfg.session_ttl_secs,
    };
    state.sessions.retain(|_, v| v.expires_at > now());
    state.sessions.insert(id.clone(), s.clone());
    (id, s)
}

/// Issues an API token and stores its hash.
pub async fn issue_token(db: &Db, who: &Principal) -> Result<String, ApiError> {
    let token = random_token();
    let t = now();
    let row = TokenRow {
        token_hash: token_hash(&token),
        username: who.username.clone(),
        created_at: t as u32,
        expires_at: (t + TOKEN_DAYS * 86_400) as u32,
        version: chrono::Utc::now().timestamp_micros().max(0) as u64,
        deleted: 0,
    };
    let mut ins = db.client().insert::<TokenRow>("api_tokens").await?;
    ins.write(&row).await?;
    ins.end().await?;
    Ok(token)
}

/// A cookie's value from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, `Secure` behind TLS.
pub fn set_cookie(
    state: &AppState,
    headers: &HeaderMap,
    name: &str,
    value: &str,
    max_age: i64,
) -> String {
    let tls = state.cfg.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            == Some("https");
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{}",
        if tls { "; Secure" } else { "" }
    )
}

/// How a request was authenticated.
#[derive(Debug, Clone)]
pub enum Via {
    Bearer,
    Cookie { session_id: String, csrf: String },
}

/// The caller, as found by [`authenticate`].
#[derive(Debug, Clone)]
pub struct Caller {
    pub who: Principal,
    pub via: Via,
}

impl Caller {
    /// The CSRF token the caller's forms carry (empty for bearer callers).
    pub fn csrf(&self) -> &str {
        match &self.via {
            Via::Cookie { csrf, .. } => csrf,
            Via::Bearer => "",
        }
    }
}

/// Bearer token first, else the session cookie. The user is re-read on every request, so a
/// changed role or a deleted user takes effect at once.
pub async fn authenticate(state: &AppState, parts: &Parts) -> Result<Caller, ApiError> {
    let bearer = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let (username, via) = if let Some(token) = bearer {
        let name =
            crate::reports::users::token_user(&state.db, token_hash(token.trim()), now() as u32)
                .await?;
        (name.ok_or(ApiError::Unauthorized)?, Via::Bearer)
    } else {
        let id = cookie(&parts.headers, SESSION_COOKIE).ok_or(ApiError::Unauthorized)?;
        let s = state
            .sessions
            .get(id)
            .map(|s| s.clone())
            .ok_or(ApiError::Unauthorized)?;
        if s.expires_at <= now() {
            state.sessions.remove(id);
            return Err(ApiError::Unauthorized);
        }
        (
            s.username,
            Via::Cookie {
                session_id: id.to_owned(),
                csrf: s.csrf,
            },
        )
    };
    let user = find_user(&state.db, &username)
        .await?
        .ok_or(ApiError::Unauthorized)?;
    let who = principal(&user).ok_or(ApiError::Unauthorized)?;
    Ok(Caller { who, via })
}

/// Constant-time comparison of two tokens.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !a.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_argon2id_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn hashes_state_the_recommended_parameters() {
        let h = hash_password("correct horse battery").unwrap();
        let parsed = PasswordHash::new(&h).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.version, Some(0x13));
        let p = Params::try_from(&parsed).unwrap();
        assert_eq!((p.m_cost(), p.t_cost(), p.p_cost()), (19_456, 2, 1), "{h}");
        assert_eq!(
            parsed.salt.map(|s| s.as_str().len()),
            Some(22),
            "16 random bytes, base64: {h}"
        );
        // The unknown-user path verifies against a hash of the same cost, so timing tells nothing.
        let dummy = Params::try_from(&PasswordHash::new(DUMMY_HASH).unwrap()).unwrap();
        assert_eq!(
            (dummy.m_cost(), dummy.t_cost(), dummy.p_cost()),
            (p.m_cost(), p.t_cost(), p.p_cost())
        );
    }

    #[test]
    fn tokens_compare_exactly() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd"));
        assert!(!same_token("", ""));
        assert!(!same_token("abc", "abcd"));
    }
}
