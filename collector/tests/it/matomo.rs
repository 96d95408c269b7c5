//! `/tracking` and `/matomo.php`: Matomo's answers and statuses, bulk requests, `cdt` only
//! with the token, client ids never stored, and the DVC sanitizer on both endpoints.
use crate::support::*;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use emc_sql::testing::tables_containing;
use http_body_util::BodyExt;
use tower::ServiceExt;

const Q: &str = "idsite=227&rec=1&url=https%3A%2F%2Fportal.gov.vn%2Ftin-tuc";

async fn send(r: &Router, req: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let res = r.clone().oneshot(req).await.unwrap();
    let (parts, body) = res.into_parts();
    let bytes = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&bytes).into_owned(),
    )
}

fn get(path_and_query: &str) -> Request<Body> {
    Request::get(path_and_query)
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .body(Body::empty())
        .unwrap()
}

fn post(path: &str, content_type: &str, body: impl Into<Body>) -> Request<Body> {
    Request::post(path)
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .header("content-type", content_type)
        .body(body.into())
        .unwrap()
}

fn error_of(text: &str) -> String {
    let json: serde_json::Value =
        serde_json::from_str(text).unwrap_or_else(|_| panic!("a JSON error body: {text}"));
    json["error"].as_str().expect("an error field").to_owned()
}

#[tokio::test]
async fn statuses_answers_and_what_is_stored() {
    let h = Harness::start("matomo_statuses").await;
    let r = h.router();
    // (request, status, content type of a success, text an error must contain)
    let pv = format!("{Q}&action_name=Tin&res=1280x1024&pv_id=aB3dE6&_id=5c3a1b2c3d4e5f60&uid=an%40mail.vn&cid=0123456789abcdef&pf_net=10&pf_srv=110&pf_tfr=20&pf_dm1=300&pf_dm2=60&pf_onl=5");
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (get(&format!("/tracking?{pv}")), StatusCode::OK, "image/gif"),
        (get(&format!("/matomo.php?{Q}&send_image=0&e_c=V%C4%83n%20b%E1%BA%A3n&e_a=T%E1%BA%A3i%20v%E1%BB%81&e_n=Q%C4%90-1&e_v=1")), StatusCode::NO_CONTENT, ""),
        (post("/tracking", "application/x-www-form-urlencoded; charset=UTF-8", format!("{Q}&send_image=0&link=https%3A%2F%2Fexample.org%2F")), StatusCode::NO_CONTENT, ""),
        (post("/matomo.php?idsite=227&rec=1", "text/plain", "url=https%3A%2F%2Fportal.gov.vn%2Fa&download=https%3A%2F%2Fportal.gov.vn%2Fa.pdf&send_image=0"), StatusCode::NO_CONTENT, ""),
        (get(&Q.replace("227", "999").replace("idsite", "/tracking?idsite")), StatusCode::NOT_FOUND, "site"),
        (get(&format!("/tracking?{}", Q.replace("portal.gov.vn", "evil.example"))), StatusCode::FORBIDDEN, "evil.example"),
        (get(&format!("/tracking?{Q}&res=wide")), StatusCode::BAD_REQUEST, "res"),
        (get(&format!("/tracking?{Q}&pf_net=-1")), StatusCode::BAD_REQUEST, "pf_net"),
        (get(&Q.replace("&rec=1", "").replace("idsite", "/tracking?idsite")), StatusCode::BAD_REQUEST, "rec"),
        (get("/tracking"), StatusCode::BAD_REQUEST, "idsite"),
        (post("/tracking", "application/x-www-form-urlencoded", format!("{Q}&action_name={}", "x".repeat(20_000))), StatusCode::PAYLOAD_TOO_LARGE, "body"),
        (post("/tracking", "application/json", "{\"requests\": 5}"), StatusCode::BAD_REQUEST, "requests"),
    ];
    for (req, status, want) in cases {
        let uri = req.uri().to_string();
        let (got, headers, text) = send(&r, req).await;
        assert_eq!(got, status, "{uri:.120}: {text}");
        if status.is_client_error() {
            assert!(
                error_of(&text).contains(want),
                "{uri:.80}: error {text} should name {want:?}"
            );
        } else if status == StatusCode::OK {
            assert_eq!(headers["content-type"], want);
            assert!(text.starts_with("GIF89a"), "a GIF");
        } else {
            assert!(text.is_empty());
        }
    }
    // CORS: a cross-origin POST from a portal is allowed, as for /api/event; the tag is
    // readable cross-origin.
    let preflight = Request::options("/tracking")
        .header("origin", "https://portal.gov.vn")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&r, preflight).await;
    assert!(status.is_success(), "{status}");
    assert_eq!(headers["access-control-allow-origin"], "*");
    let cross = Request::get("/tracking?idsite=227")
        .header("origin", "https://portal.gov.vn")
        .header("user-agent", CHROME)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&r, cross).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        headers["access-control-allow-origin"], "*",
        "errors are readable cross-origin too"
    );
    let (status, headers, _) = send(&r, get("/tracker.js")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        headers["access-control-allow-origin"], "*",
        "the tag carries CORS"
    );

    let db = h.finish().await;
    #[derive(clickhouse::Row, serde::Deserialize, Debug)]
    struct Ev {
        name: String,
        origin: String,
        title: String,
        screen_width: u16,
        ttfb: u32,
        load: u32,
        fcp: u32,
        response: u32,
        props_keys: Vec<String>,
        props_values: Vec<String>,
    }
    let evs: Vec<Ev> = db
        .client()
        .query("SELECT ?fields FROM events ORDER BY timestamp, timestamp_ms")
        .fetch_all()
        .await
        .unwrap();
    let names: Vec<&str> = evs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["pageview", "Tải về", "outbound", "download"]);
    assert!(evs.iter().all(|e| e.origin == "matomo"));
    let p = &evs[0];
    assert_eq!(
        (
            p.title.as_str(),
            p.screen_width,
            p.ttfb,
            p.load,
            p.fcp,
            p.response
        ),
        ("Tin", 1280, 120, 505, 0, 0)
    );
    assert_eq!(evs[1].props_keys, ["category", "action", "name", "value"]);
    assert_eq!(evs[2].props_values, ["https://example.org/"]);
    assert_eq!(evs[3].props_values, ["https://portal.gov.vn/a.pdf"]);
    for needle in [
        "5c3a1b2c3d4e5f60",
        "an@mail.vn",
        "0123456789abcdef",
        "aB3dE6",
    ] {
        assert_eq!(
            tables_containing(&db, needle).await,
            Vec::<String>::new(),
            "client id {needle} stored"
        );
    }
    let logs = count(
        &db,
        "SELECT sum(count) FROM connection_log WHERE endpoint = 'tracking'",
    )
    .await;
    assert_eq!(logs, 13, "every request in the connection log's counts");
}

#[tokio::test]
async fn bulk_requests_and_cdt_only_with_the_token() {
    let h = Harness::start("matomo_bulk").await;
    let r = h.router();
    let at = |path: &str, cdt: &str| {
        format!("?idsite=227&rec=1&url=https%3A%2F%2Fportal.gov.vn%2F{path}&cdt={cdt}&ua=Mozilla%2F5.0%20(X11%3B%20Linux%20x86_64%3B%20rv%3A121.0)%20Gecko%2F20100101%20Firefox%2F121.0")
    };
    let body = serde_json::json!({
        "token_auth": MATOMO_TOKEN,
        "requests": [
            at("a", "2026-02-01%2010%3A00%3A00"),
            at("b", "1769940060"), // 2026-02-01 10:01:00 UTC
            "?idsite=999&rec=1&url=https%3A%2F%2Fportal.gov.vn%2F",
            "?idsite=227&rec=1&url=https%3A%2F%2Fportal.gov.vn%2F&res=bad",
            at("c", "not-a-time"),
        ]
    });
    let (status, _, text) = send(
        &r,
        post("/matomo.php", "application/json", body.to_string()),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        answer,
        serde_json::json!({"status": "success", "tracked": 2, "invalid": 3, "invalid_indices": [2, 3, 4]})
    );

    // Wrong token, no token, or a single request with the token: cdt is ignored.
    let wrong = serde_json::json!({ "token_auth": "guess", "requests": [at("d", "2026-02-01%2010%3A00%3A00")] });
    let none = serde_json::json!({ "requests": [at("e", "2026-02-01%2010%3A00%3A00")] });
    for b in [wrong, none] {
        let (status, _, text) = send(&r, post("/tracking", "text/plain", b.to_string())).await;
        assert_eq!(status, StatusCode::OK, "{text}");
        assert!(text.contains(r#""tracked":1"#), "{text}");
    }
    let single = format!(
        "/tracking?{}&token_auth={MATOMO_TOKEN}&send_image=0",
        &at("f", "2026-02-01%2010%3A00%3A00")[1..]
    );
    assert_eq!(send(&r, get(&single)).await.0, StatusCode::NO_CONTENT);
    let db = h.finish().await;

    let old = count(&db, "SELECT count() FROM events WHERE toDate(timestamp) = '2026-02-01' AND pathname IN ('/a', '/b')").await;
    assert_eq!(old, 2, "cdt honoured in the authenticated bulk");
    let now = count(&db, "SELECT count() FROM events WHERE timestamp > now() - 600 AND pathname IN ('/d', '/e', '/f')").await;
    assert_eq!(now, 3, "cdt ignored without the token");
    let ff = count(&db, "SELECT count() FROM events WHERE browser = 'Firefox'").await;
    assert_eq!(ff, 5, "ua overrides the header");
    let rejected = count(
        &db,
        "SELECT sum(count) FROM connection_log WHERE status >= 400",
    )
    .await;
    assert_eq!(
        rejected, 3,
        "each bulk request has its own connection-log row"
    );
}

#[tokio::test]
async fn dvc_keeps_the_service_and_a_dossier_hash_only() {
    let h = Harness::start("matomo_dvc").await;
    let r = h.router();
    let raw = "000.00.12.H56-240305-0001;05032024;Nguyễn Văn An;001203004567";
    // An old tag that sends the raw string, on /api/event.
    let beacon = serde_json::json!({"site": "227", "name": "dvc", "url": "https://portal.gov.vn/dvc",
        "props": {"service": "1.004227", "flag": "1", "dossier": raw, "applicant": "Nguyễn Văn An"}});
    let (status, text) = post_event(
        &r,
        beacon.to_string(),
        "application/json",
        CHROME,
        "14.160.12.107",
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{text}");
    // The tag of today (already cut in the browser).
    let beacon = serde_json::json!({"site": "227", "name": "dvc", "url": "https://portal.gov.vn/dvc",
        "props": {"service": "1.004227", "flag": "1", "dossier": "000.00.12.H56-240305-0001", "date": "05032024"}});
    assert_eq!(
        post_event(
            &r,
            beacon.to_string(),
            "text/plain",
            CHROME,
            "14.160.12.107"
        )
        .await
        .0,
        StatusCode::ACCEPTED
    );
    // Matomo: a custom variable in the legacy form, and a DVC event.
    let cvar = serde_json::json!({"1": ["hoso", raw], "2": ["email", "an@mail.vn"]}).to_string();
    let q = form_pairs(&[
        ("cvar", &cvar),
        ("e_c", "DVC"),
        ("e_a", "dvc"),
        ("e_n", raw),
        ("send_image", "0"),
    ]);
    assert_eq!(
        send(&r, get(&format!("/tracking?{Q}&{q}"))).await.0,
        StatusCode::NO_CONTENT
    );
    let db = h.finish().await;

    for needle in [
        "Nguyễn Văn An",
        "001203004567",
        "000.00.12.H56-240305-0001",
        "an@mail.vn",
    ] {
        assert_eq!(
            tables_containing(&db, needle).await,
            Vec::<String>::new(),
            "{needle} stored"
        );
    }
    let hashes: Vec<String> = db
        .client()
        .query("SELECT props_values[indexOf(props_keys, 'dossier_hash')] FROM events WHERE name = 'dvc' ORDER BY timestamp, timestamp_ms")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(hashes.len(), 3);
    assert!(
        hashes.iter().all(|h| h.len() == 16 && *h == hashes[0]),
        "one dossier, one hash: {hashes:?}"
    );
    let services = count(&db, "SELECT count() FROM events WHERE name = 'dvc' AND has(props_keys, 'service') AND has(props_values, '05032024')").await;
    assert_eq!(services, 2, "service and date kept on the JSON dvc events");
}

fn form_pairs(pairs: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}
