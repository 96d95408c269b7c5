//! The OpenAPI 3.1 description of `/api/v1`, derived by `utoipa` from the handlers'
//! `#[utoipa::path]` annotations and their request, response and query types; served at
//! `GET /api/v1/openapi.json`. `tests/it/openapi.rs` validates it and runs schemathesis against
//! a live dashboard; the unit tests here keep it and [`crate::ROUTES`] in step.
pub mod query;

use crate::routes::{
    alert_rules, alerts, annotations as annotation_routes, api, compliance, csv,
    goals as goal_routes, ranking as ranking_routes, scans, shares as share_routes, subscriptions,
};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi as Document;
use utoipa::{Modify, OpenApi};

/// The name of the bearer-token security scheme.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "EMC API",
        description = "Web analytics and monitoring of government portals: reports, ranking, \
            compliance, scans, alerts and the registry. Sign in with `POST /api/v1/login` and \
            send the token as `Authorization: Bearer TOKEN`. Every error is `ErrorBody`."
    ),
    paths(
        openapi_json,
        api::login,
        api::list_agencies,
        api::create_agency,
        api::list_sites,
        api::create_site,
        api::list_users,
        api::create_user,
        api::stats,
        api::breakdown,
        api::timeseries,
        api::realtime,
        api::overview,
        api::audit,
        csv::export,
        ranking_routes::api,
        compliance::api,
        compliance::health_api,
        scans::api,
        scans::csv,
        alerts::api,
        alert_rules::get_rules,
        alert_rules::put_rules,
        subscriptions::get_api,
        subscriptions::put_api,
        goal_routes::list,
        goal_routes::create,
        goal_routes::delete,
        annotation_routes::list,
        annotation_routes::create,
        annotation_routes::delete,
        share_routes::list,
        share_routes::create,
        share_routes::delete,
    ),
    modifiers(&Bearer),
    security(("bearer" = [])),
    tags(
        (name = "access", description = "Sign-in, users and the audit log"),
        (name = "registry", description = "Agencies and sites"),
        (name = "reports", description = "Traffic reports and CSV export"),
        (name = "monitoring", description = "Ranking, compliance, connection health, scans, alerts"),
    )
)]
pub struct ApiDoc;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, doc: &mut Document) {
        let scheme = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some(
                "A token from `POST /api/v1/login` (a signed-in browser's session cookie also \
                 works; its writes then carry `X-CSRF-Token`).",
            ))
            .build();
        doc.components
            .get_or_insert_with(Default::default)
            .add_security_scheme(BEARER, SecurityScheme::Http(scheme));
    }
}

/// The document.
pub fn document() -> Document {
    ApiDoc::openapi()
}

/// This document.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "access", security(()),
    responses((status = 200, description = "The OpenAPI 3.1 description of /api/v1",
        content_type = "application/json", body = Object)))]
pub async fn openapi_json() -> Json<Document> {
    Json(document())
}

#[cfg(test)]
mod tests;
