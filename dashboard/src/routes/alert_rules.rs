//! A site's overrides of the alert rules: `GET|PUT /api/v1/sites/{code}/alert-rules` and the
//! form on `/alerts?site=CODE` (posted to `/sites/{code}/alert-rules`). An admin, or a user
//! whose scope includes the site (`scope::authorize`: `404` unknown, `403` out of scope).
use super::{ApiJson, PageCaller};
use crate::alerts::overrides::{self, RuleFields, RulesInput};
use crate::alerts::rules::{Override, Rule};
use crate::auth::Caller;
use crate::error::{ApiError, ApiErrors, PageError};
use crate::scope::{self, Registry, Target};
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use std::collections::BTreeMap;

/// The site's code when the caller may see it.
async fn site_in_scope(state: &AppState, caller: &Caller, code: &str) -> Result<String, ApiError> {
    let reg = Registry::load(&state.db).await?;
    let target = Target::Site {
        code: code.to_owned(),
        include_components: false,
    };
    scope::authorize(&caller.who, &reg, &target)?;
    Ok(code.to_owned())
}

async fn save(
    state: &AppState,
    caller: &Caller,
    site: &str,
    set: &BTreeMap<Rule, Override>,
) -> Result<(), ApiError> {
    overrides::put(&state.db, site, &caller.who.username, set).await?;
    let detail = overrides::describe(set);
    crate::audit::record(
        &state.db,
        &caller.who.username,
        "alert_rules.update",
        site,
        &detail,
    )
    .await?;
    Ok(())
}

/// A site's overrides of the alert rules (`null` = the default) and the defaults.
#[utoipa::path(get, path = "/api/v1/sites/{code}/alert-rules", tag = "monitoring",
    params(("code" = String, Path, description = "Site code")),
    responses((status = 200, description = "`{\"site\", \"rules\": {rule: {enabled, threshold, floor, cooldown}}, \"defaults\": {…}}`",
        body = Object), ApiErrors))]
pub async fn get_rules(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let site = site_in_scope(&state, &caller, &code).await?;
    let set = overrides::of_site(&state.db, &site).await?;
    Ok(Json(overrides::to_json(
        &site,
        &set,
        state.cfg.silence_secs,
    )))
}

/// Replaces a site's overrides (a rule or field left out or `null` goes back to its default).
#[utoipa::path(put, path = "/api/v1/sites/{code}/alert-rules", tag = "monitoring",
    params(("code" = String, Path, description = "Site code")), request_body = RulesInput,
    responses((status = 200, description = "Saved; the same shape as GET", body = Object), ApiErrors))]
pub async fn put_rules(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(code): Path<String>,
    ApiJson(input): ApiJson<RulesInput>,
) -> Result<Json<serde_json::Value>, ApiError> {
    super::api::check_write(&caller, &headers)?;
    let site = site_in_scope(&state, &caller, &code).await?;
    let set = input.validate()?;
    save(&state, &caller, &site, &set).await?;
    Ok(Json(overrides::to_json(
        &site,
        &set,
        state.cfg.silence_secs,
    )))
}

/// A number field of the form: blank is `None` (the default).
fn number<T: std::str::FromStr>(rule: Rule, field: &str, v: &str) -> Result<Option<T>, ApiError> {
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    v.parse().map(Some).map_err(|_| {
        ApiError::bad(
            "rules",
            format!("rules.{}.{field}: {v:?} is not a number", rule.key()),
        )
    })
}

/// The form: per rule `<rule>.enabled` (`""` default, `on`, `off`), `<rule>.threshold`,
/// `<rule>.floor`, `<rule>.cooldown` (blank = default); then back to `/alerts?site=CODE`.
pub async fn post_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(code): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = super::pages::form(&body);
    super::pages::check_csrf(&caller, &pairs)?;
    let site = site_in_scope(&state, &caller, &code).await?;
    let f = |rule: Rule, field: &str| {
        super::pages::field(&pairs, &format!("{}.{field}", rule.key())).to_owned()
    };
    let mut rules = BTreeMap::new();
    for r in Rule::ALL {
        let enabled = match f(r, "enabled").as_str() {
            "on" => Some(true),
            "off" => Some(false),
            _ => None,
        };
        rules.insert(
            r.key().to_owned(),
            RuleFields {
                enabled,
                threshold: number(r, "threshold", &f(r, "threshold"))?,
                floor: number(r, "floor", &f(r, "floor"))?,
                cooldown: number(r, "cooldown", &f(r, "cooldown"))?,
            },
        );
    }
    let set = RulesInput { rules }.validate()?;
    save(&state, &caller, &site, &set).await?;
    let to: String = form_urlencoded::byte_serialize(site.as_bytes()).collect();
    Ok(Redirect::to(&format!("/alerts?site={to}#rules")).into_response())
}

/// One row of the form on `/alerts`.
pub struct RuleLine {
    pub key: &'static str,
    pub label: &'static str,
    /// `""`, `on` or `off`.
    pub enabled: &'static str,
    pub threshold: String,
    pub floor: String,
    pub cooldown: String,
    /// The defaults, as placeholders.
    pub default_threshold: String,
    pub default_floor: String,
    pub default_cooldown: String,
}

/// The form's rows for a site the caller may see.
pub async fn lines(
    state: &AppState,
    caller: &Caller,
    code: &str,
    vi: bool,
) -> Result<Vec<RuleLine>, ApiError> {
    let site = site_in_scope(state, caller, code).await?;
    let set = overrides::of_site(&state.db, &site).await?;
    let text = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    Ok(Rule::ALL
        .iter()
        .map(|r| {
            let o = set.get(r).copied().unwrap_or_default();
            let d = r.default_settings(state.cfg.silence_secs);
            RuleLine {
                key: r.key(),
                label: if vi { r.label_vi() } else { r.label_en() },
                enabled: match o.enabled {
                    Some(true) => "on",
                    Some(false) => "off",
                    None => "",
                },
                threshold: text(o.threshold),
                floor: text(o.floor),
                cooldown: o.cooldown_secs.map(|c| c.to_string()).unwrap_or_default(),
                default_threshold: d.threshold.to_string(),
                default_floor: d.floor.to_string(),
                default_cooldown: d.cooldown_secs.to_string(),
            }
        })
        .collect())
}
