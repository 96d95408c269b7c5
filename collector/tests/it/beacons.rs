//! POST /api/event: every status of the contract, its JSON error, its connection-log row.
use crate::support::*;
use axum::http::StatusCode;

#[derive(clickhouse::Row, serde::Deserialize, Debug)]
struct LogRow {
    status: u16,
    reason: String,
    client_net: String,
    count: u32,
}

#[tokio::test]
async fn every_status_with_its_error_and_connection_log_row() {
    let h = Harness::start("beacons_statuses").await;
    let r = h.router();
    let ok = r#"{"site":"227","name":"pageview","url":"https://portal.gov.vn/a","referrer":"https://www.google.com/"}"#;
    let huge = format!(
        r#"{{"site":"227","name":"pageview","url":"https://portal.gov.vn/a","title":"{}"}}"#,
        "x".repeat(20_000)
    );
    // (body, content type, user agent, status, reason in the log, text the error must contain)
    let cases: Vec<(String, &str, &str, StatusCode, &str, &str)> = vec![
        (
            ok.into(),
            "text/plain;charset=UTF-8",
            CHROME,
            StatusCode::ACCEPTED,
            "ok",
            "",
        ),
        (
            ok.replace("227", "999"),
            "application/json",
            CHROME,
            StatusCode::NOT_FOUND,
            "unknown_site",
            "site",
        ),
        (
            ok.replace("portal.gov.vn", "evil.example"),
            "application/json",
            CHROME,
            StatusCode::FORBIDDEN,
            "hostname_mismatch",
            "evil.example",
        ),
        (
            "{not json".into(),
            "application/json",
            CHROME,
            StatusCode::BAD_REQUEST,
            "malformed",
            "body",
        ),
        (
            ok.replace(
                r#""name":"pageview","#,
                r#""name":"pageview","screen_width":"wide","#,
            ),
            "application/json",
            CHROME,
            StatusCode::BAD_REQUEST,
            "malformed",
            "screen_width",
        ),
        (
            ok.replace("https://portal.gov.vn/a", "portal.gov.vn/a"),
            "application/json",
            CHROME,
            StatusCode::BAD_REQUEST,
            "malformed",
            "url",
        ),
        (
            huge,
            "application/json",
            CHROME,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "body",
        ),
        (
            ok.into(),
            "application/x-www-form-urlencoded",
            CHROME,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content_type",
            "content-type",
        ),
        (
            ok.into(),
            "application/json",
            "Googlebot/2.1 (+http://www.google.com/bot.html)",
            StatusCode::ACCEPTED,
            "bot:crawler",
            "",
        ),
    ];
    for (body, ct, ua, status, _, needle) in &cases {
        let (got, text) = post_event(&r, body.clone(), ct, ua, "14.160.12.107").await;
        assert_eq!(got, *status, "{ct} {body:.80}: {text}");
        if status.is_client_error() {
            let json: serde_json::Value = serde_json::from_str(&text).expect("JSON error body");
            let msg = json["error"].as_str().expect("an error field");
            assert!(msg.contains(needle), "error {msg:?} should name {needle:?}");
        } else {
            assert!(text.is_empty(), "202 has an empty body");
        }
    }
    let metrics = h.app.state.metrics.encode();
    assert!(
        metrics.contains(r#"emc_rejected_total{reason="unknown_site"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"emc_bots_dropped_total{reason="crawler"} 1"#),
        "{metrics}"
    );
    let db = h.finish().await;

    assert_eq!(
        count(&db, "SELECT count() FROM events").await,
        1,
        "only the accepted beacon is an event"
    );
    assert_eq!(
        count(&db, "SELECT toUInt64(sum(sign)) FROM sessions").await,
        1
    );
    let logs: Vec<LogRow> = db
        .client()
        .query("SELECT status, reason, client_net, count FROM connection_log ORDER BY received_at, received_ms")
        .fetch_all()
        .await
        .unwrap();
    // A refused request is counted in a row of its minute, network and reason (`count`).
    let mut got: Vec<(u16, String)> = logs
        .iter()
        .flat_map(|l| std::iter::repeat_n((l.status, l.reason.clone()), l.count as usize))
        .collect();
    let mut want: Vec<(u16, String)> = cases
        .iter()
        .map(|c| (c.3.as_u16(), c.4.to_owned()))
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want, "every request in the connection log");
    assert!(
        logs.iter().all(|l| l.client_net == "14.160.12.0/24"),
        "only the /24 is kept"
    );
    let raw_ip = count(
        &db,
        "SELECT count() FROM connection_log WHERE position(client_net, '14.160.12.107') > 0",
    )
    .await;
    assert_eq!(raw_ip, 0);
}

#[tokio::test]
async fn a_site_added_while_running_is_accepted_within_seconds() {
    let h = Harness::start("beacons_new_site").await;
    let r = h.router();
    let body = r#"{"site":"10000","name":"pageview","url":"https://moi.gov.vn/"}"#;
    assert_eq!(
        post_event(&r, body, "application/json", CHROME, "1.2.3.4")
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    emc_sql::registry::add_site(
        &h.db,
        emc_sql::registry::NewSite {
            name: "Mới".into(),
            domains: vec!["moi.gov.vn".into()],
            kind: emc_sql::registry::SiteKind::Portal,
            parent: None,
            agency: "bo-a".into(),
            code: None,
        },
    )
    .await
    .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (status, _) = post_event(&r, body, "application/json", CHROME, "1.2.3.4").await;
        if status == StatusCode::ACCEPTED {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "new site not seen within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    h.finish().await;
}

#[tokio::test]
async fn tracker_and_health_and_metrics_answer() {
    use tower::ServiceExt;
    let h = Harness::start("beacons_aux").await;
    let r = h.router();
    let get = |path: &str, etag: Option<String>| {
        let mut b = axum::http::Request::get(path);
        if let Some(e) = etag {
            b = b.header("if-none-match", e);
        }
        r.clone()
            .oneshot(b.body(axum::body::Body::empty()).unwrap())
    };
    let res = get("/tracker.js", None).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(
        get("/embed/gov-tracking.min.js", Some(etag))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        get("/healthz", None).await.unwrap().status(),
        StatusCode::OK
    );
    let m = get("/metrics", None).await.unwrap();
    assert_eq!(m.status(), StatusCode::OK);
    h.finish().await;
}
