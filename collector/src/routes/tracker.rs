//! `GET /tracker.js` and `/embed/gov-tracking.min.js`: the tag built by `tracker-js/`,
//! with caching headers, an ETag and `304` on `If-None-Match`.
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::hash::Hasher;
use std::sync::LazyLock;

pub const TRACKER_JS: &str = include_str!("../../../tracker-js/dist/tracker.min.js");

static ETAG: LazyLock<String> = LazyLock::new(|| {
    let mut h = siphasher::sip::SipHasher13::new();
    h.write(TRACKER_JS.as_bytes());
    format!("\"{:016x}\"", h.finish())
});

pub async fn tracker_js(headers: HeaderMap) -> Response {
    let etag = ETAG.as_str();
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let common = [
        (
            header::ETAG,
            HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"0\"")),
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        ),
        (
            header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        ),
    ];
    if matches {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    let ct = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/javascript; charset=utf-8"),
    )];
    (StatusCode::OK, common, ct, TRACKER_JS).into_response()
}
