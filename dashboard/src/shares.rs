//! Shared links: a revocable read-only link `/share/TOKEN` to one site's report, with an
//! optional password, created and revoked by a user whose scope holds the site (SQL in
//! [`crate::reports::shares`]). The token comes from the OS CSPRNG and is stored only as its
//! SHA-256 (as API tokens are); the password as an argon2id hash (as users' passwords are).
use crate::auth::{self, Caller, Via};
use crate::error::ApiError;
use crate::reports::shares::{self as store, ShareRow};
use crate::scope::{self, Principal, Registry, Role, Target};
use emc_sql::Db;
use serde::{Deserialize, Serialize};
use sha2::Digest;

/// The path of a shared link.
pub const PREFIX: &str = "/share/";
/// The cookie a browser gets after giving a link's password (path-bound to that link).
pub const COOKIE: &str = "emc_share";

/// `POST /api/v1/shares`: the site's code and an optional password.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShareInput {
    pub site: String,
    #[serde(default)]
    pub password: Option<String>,
}

/// A link as the API lists it (never its token: that is shown once, on creation).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct ShareOut {
    pub id: String,
    pub site: String,
    pub password: bool,
    pub created_by: String,
    /// Unix seconds.
    pub created_at: u32,
}

/// The answer to a creation: the link, with the URL shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CreatedShare {
    #[serde(flatten)]
    pub share: ShareOut,
    /// `/share/TOKEN`, relative to the dashboard's address.
    pub url: String,
}

impl From<&ShareRow> for ShareOut {
    fn from(s: &ShareRow) -> ShareOut {
        ShareOut {
            id: s.id.clone(),
            site: s.site.clone(),
            password: !s.password_hash.is_empty(),
            created_by: s.created_by.clone(),
            created_at: s.created_at,
        }
    }
}

fn site_target(code: &str) -> Target {
    Target::Site {
        code: code.to_owned(),
        include_components: false,
    }
}

/// Creates a link to a site in `who`'s scope (`404` unknown, `403` outside); the row and the
/// token (which is not stored).
pub async fn create(
    db: &Db,
    who: &Principal,
    input: &ShareInput,
) -> Result<(ShareRow, String), ApiError> {
    create_in(db, &Registry::load(db).await?, who, input).await
}

/// [`create`] with a registry already loaded.
pub async fn create_in(
    db: &Db,
    reg: &Registry,
    who: &Principal,
    input: &ShareInput,
) -> Result<(ShareRow, String), ApiError> {
    let code = input.site.trim();
    if code.is_empty() {
        return Err(ApiError::bad("site", "missing"));
    }
    let password = input.password.as_deref().filter(|p| !p.is_empty());
    if password.is_some_and(|p| p.chars().count() < 8) {
        return Err(ApiError::bad("password", "at least 8 characters"));
    }
    scope::authorize(who, reg, &site_target(code))?;
    let token = auth::random_token();
    let now = chrono::Utc::now();
    let row = ShareRow {
        id: auth::random_token()[..16].to_owned(),
        site: code.to_owned(),
        token_hash: auth::token_hash(&token),
        password_hash: match password {
            Some(p) => auth::hash_password(p)?,
            None => String::new(),
        },
        created_by: who.username.clone(),
        created_at: now.timestamp() as u32,
        version: emc_sql::registry::version_now(),
        deleted: 0,
    };
    store::write(db, &row).await?;
    crate::audit::record(db, &who.username, "share.create", &row.id, &row.site).await?;
    Ok((row, token))
}

/// Revokes a link of `who`'s scope (again: fine; an id never seen: `404`).
pub async fn revoke(db: &Db, who: &Principal, id: &str) -> Result<ShareRow, ApiError> {
    let row = store::find(db, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("share {id}")))?;
    let reg = Registry::load(db).await?;
    scope::authorize(who, &reg, &site_target(&row.site))?;
    if row.deleted == 0 {
        let mut gone = row.clone();
        gone.deleted = 1;
        gone.version = emc_sql::registry::version_after(row.version);
        store::write(db, &gone).await?;
        crate::audit::record(db, &who.username, "share.revoke", id, &row.site).await?;
    }
    Ok(row)
}

/// The live links to the sites `who` may read (of one site when `site` is given).
pub async fn list(db: &Db, who: &Principal, site: Option<&str>) -> Result<Vec<ShareRow>, ApiError> {
    list_in(db, &Registry::load(db).await?, who, site).await
}

/// [`list`] with a registry already loaded.
pub async fn list_in(
    db: &Db,
    reg: &Registry,
    who: &Principal,
    site: Option<&str>,
) -> Result<Vec<ShareRow>, ApiError> {
    if let Some(code) = site {
        scope::authorize(who, reg, &site_target(code))?;
    }
    Ok(store::live(db)
        .await?
        .into_iter()
        .filter(|s| site.is_none_or(|c| c == s.site))
        .filter(|s| reg.site(&s.site).is_some_and(|r| reg.site_in_scope(who, r)))
        .collect())
}

/// The live link a token opens (`404` unknown or revoked: the two look alike).
pub async fn open(db: &Db, token: &str) -> Result<ShareRow, ApiError> {
    store::by_token(db, auth::token_hash(token))
        .await?
        .filter(|s| s.deleted == 0)
        .ok_or_else(|| ApiError::NotFound("shared link".into()))
}

/// What the password cookie holds: bound to the token and to the stored hash (its random salt
/// is known only to the server), so only a browser that gave the password can present it, and
/// a new password or a revocation ends it.
pub fn pass(token: &str, share: &ShareRow) -> String {
    let mut h = sha2::Sha256::new();
    h.update(token.as_bytes());
    h.update(b"\0");
    h.update(share.password_hash.as_bytes());
    hex::encode(h.finalize())
}

/// The caller a shared link's page is rendered for: no user, read access to the site's agency
/// only; the page's target is the link's site whatever the query says, without components
/// (see `routes::pages::report_page`'s read-only mode).
pub fn reader(share: &ShareRow, agency: &str) -> Caller {
    Caller {
        who: Principal {
            username: format!("share:{}", share.id),
            role: Role::Owner,
            agencies: vec![agency.to_owned()],
        },
        via: Via::Bearer,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pass_depends_on_token_and_hash() {
        let s = ShareRow {
            password_hash: "$argon2id$v=19$x".into(),
            ..ShareRow::default()
        };
        let other = ShareRow {
            password_hash: "$argon2id$v=19$y".into(),
            ..ShareRow::default()
        };
        assert_eq!(pass("t", &s), pass("t", &s));
        assert_ne!(pass("t", &s), pass("u", &s));
        assert_ne!(pass("t", &s), pass("t", &other));
        assert_eq!(pass("t", &s).len(), 64);
    }
}
