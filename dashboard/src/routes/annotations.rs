//! Annotations: `GET|POST /api/v1/annotations`, `DELETE /api/v1/annotations/{id}`, and the
//! report page's form (`POST /annotations`, `POST /annotations/{id}/delete`). Every call is
//! about a site or agency in scope.
use super::api::check_write;
use super::goals::back_to;
use super::pages::{check_csrf, field, form};
use super::{report, ApiJson, PageCaller};
use crate::annotations::{self, AnnotationInput, AnnotationOut};
use crate::auth::Caller;
use crate::error::{ApiError, ApiErrors, PageError};
use crate::openapi::query::ReportQuery;
use crate::owned::owner_of;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;

/// The annotations a report about `site=` or `agency=` shows over `from`..`to`.
#[utoipa::path(get, path = "/api/v1/annotations", tag = "reports", operation_id = "list_annotations", params(ReportQuery),
    responses((status = 200, description = "The annotations that report shows", body = Vec<AnnotationOut>), ApiErrors))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    RawQuery(q): RawQuery,
) -> Result<Json<Vec<AnnotationOut>>, ApiError> {
    let r = report(&state, &caller, q.as_deref(), None).await?;
    let rows =
        annotations::for_target(&state.db, &r.registry, &r.params.target, &r.params.range).await?;
    Ok(Json(rows.iter().map(AnnotationOut::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/annotations", tag = "reports", operation_id = "create_annotations", request_body = AnnotationInput,
    responses((status = 201, description = "Created", body = AnnotationOut), ApiErrors))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiJson(input): ApiJson<AnnotationInput>,
) -> Result<impl IntoResponse, ApiError> {
    check_write(&caller, &headers)?;
    let row = annotations::create(&state.db, &caller.who, &input).await?;
    Ok((StatusCode::CREATED, Json(AnnotationOut::from(&row))))
}

#[utoipa::path(delete, path = "/api/v1/annotations/{id}", tag = "reports", operation_id = "delete_annotations",
    params(("id" = String, Path, description = "The annotation's id")),
    responses((status = 204, description = "Deleted (also when it already was)"), ApiErrors))]
pub async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    check_write(&caller, &headers)?;
    annotations::delete(&state.db, &caller.who, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The form: `site` or `agency`, `date`, optional `end`, `text`.
pub async fn create_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let opt = |n: &str| Some(field(&pairs, n).to_owned()).filter(|v| !v.is_empty());
    let input = AnnotationInput {
        site: opt("site"),
        agency: opt("agency"),
        date: field(&pairs, "date").to_owned(),
        end: opt("end"),
        text: field(&pairs, "text").to_owned(),
    };
    let row = annotations::create(&state.db, &caller.who, &input).await?;
    let target = owner_of(&row.site, &row.agency);
    Ok(Redirect::to(&back_to(&pairs, &target, "annotations")).into_response())
}

pub async fn delete_form(
    State(state): State<AppState>,
    PageCaller(caller): PageCaller,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, PageError> {
    let pairs = form(&body);
    check_csrf(&caller, &pairs)?;
    let row = annotations::delete(&state.db, &caller.who, &id).await?;
    let target = owner_of(&row.site, &row.agency);
    Ok(Redirect::to(&back_to(&pairs, &target, "annotations")).into_response())
}

/// The notes under a report's chart (`templates/_annotations.html`), numbered as its markers.
pub struct AnnotationsCard {
    pub rows: Vec<(usize, AnnotationOut)>,
    pub owner_field: &'static str,
    pub owner: String,
    pub back: String,
}

/// The notes of the report `r` and the chart's markers for them.
pub async fn notes(
    state: &AppState,
    r: &super::Report,
    back: String,
) -> Result<(AnnotationsCard, Vec<crate::charts::Marker>), ApiError> {
    let p = &r.params;
    let rows = annotations::for_target(&state.db, &r.registry, &p.target, &p.range).await?;
    let rows: Vec<(usize, AnnotationOut)> = rows
        .iter()
        .enumerate()
        .map(|(i, a)| (i + 1, AnnotationOut::from(a)))
        .collect();
    let markers = rows
        .iter()
        .map(|(n, a)| crate::charts::Marker {
            number: *n,
            date: a.date.clone(),
            end: a.end.clone().unwrap_or_else(|| a.date.clone()),
            text: a.text.clone(),
        })
        .collect();
    let (owner_field, owner) = super::goals::form_owner(&p.target);
    let card = AnnotationsCard {
        rows,
        owner_field,
        owner,
        back,
    };
    Ok((card, markers))
}
