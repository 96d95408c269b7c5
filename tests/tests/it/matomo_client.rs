//! Matomo's own Node client (`matomo-tracker`, tests/matomo-client/) against the collector
//! binary: single requests on `/matomo.php` and `/tracking`, a bulk request, broken ones.
use emc_e2e::{workspace_root, Collector};
use std::time::{Duration, Instant};

#[tokio::test]
async fn matomo_s_node_client_is_answered_as_matomo_would() {
    let client = workspace_root().join("tests/matomo-client");
    assert!(
        client.join("node_modules/matomo-tracker").exists(),
        "matomo-tracker is not installed: run `(cd tests/matomo-client && npm ci)` (make test does)"
    );
    let db = emc_sql::testing::test_db("e2e_matomo_client").await;
    emc_e2e::register_portal_227(&db, "Cổng A").await;
    let mut collector = Collector::start(&db, &[]).await;

    let out = tokio::time::timeout(
        Duration::from_secs(20),
        tokio::process::Command::new("node")
            .arg(client.join("send.js"))
            .arg(&collector.base)
            .arg("227")
            .output(),
    )
    .await
    .expect("send.js finished within 20 s")
    .expect("running node");
    assert!(
        out.status.success(),
        "send.js: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(
        report["errors"],
        serde_json::json!([
            {"label": "hostname", "status": 403},
            {"label": "malformed", "status": 400},
            {"label": "unknown-site", "status": 404},
        ]),
        "every other request answered 200/204"
    );
    assert_eq!(
        report["bulk"],
        serde_json::json!({"status": "success", "tracked": 2, "invalid": 1, "invalid_indices": [2]})
    );

    let deadline = Instant::now() + Duration::from_secs(10);
    while count(&db, "SELECT sum(count) FROM connection_log").await < 11 {
        assert!(
            Instant::now() < deadline,
            "connection log incomplete: {}",
            collector.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    collector.stop();

    #[derive(clickhouse::Row, serde::Deserialize, Debug)]
    struct Ev {
        name: String,
        origin: String,
        title: String,
        source: String,
        browser: String,
        screen_width: u16,
        ttfb: u32,
        load: u32,
        props_keys: Vec<String>,
    }
    let evs: Vec<Ev> = db
        .client()
        .query("SELECT ?fields FROM events ORDER BY name, title")
        .fetch_all()
        .await
        .unwrap();
    let names: Vec<&str> = evs.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Tải về",
            "download",
            "outbound",
            "pageview",
            "pageview",
            "pageview"
        ],
        "{evs:#?}"
    );
    assert!(
        evs.iter()
            .all(|e| e.origin == "matomo" && e.browser == "Chrome"),
        "{evs:#?}"
    );
    let pv = evs
        .iter()
        .find(|e| e.title == "Tin tức / Bài 1")
        .expect("the page view");
    assert_eq!(
        (pv.source.as_str(), pv.screen_width, pv.ttfb, pv.load),
        ("organic", 1920, 100, 580)
    );
    assert_eq!(
        pv.props_keys,
        ["dossier_hash", "date"],
        "only the DVC custom variable, hashed"
    );
    let bot = count(
        &db,
        "SELECT sum(count) FROM connection_log WHERE reason = 'bot:empty_ua'",
    )
    .await;
    assert_eq!(
        bot, 1,
        "the request without a user agent is dropped as a bot, answered as success"
    );
    let backdated = count(
        &db,
        "SELECT count() FROM events WHERE timestamp < now() - 3600",
    )
    .await;
    assert_eq!(backdated, 0, "cdt is ignored without token_auth");
    for needle in [
        "5c3a1b2c3d4e5f60",
        "nguoidung@mail.vn",
        "0123456789abcdef",
        "Nguyễn Văn An",
        "001203004567",
    ] {
        let n = count(&db, &format!("SELECT count() FROM events WHERE position(toString(tuple(props_keys, props_values, title, pathname, referrer)), '{needle}') > 0")).await;
        assert_eq!(n, 0, "{needle} stored");
    }
}

async fn count(db: &emc_sql::Db, sql: &str) -> u64 {
    db.client().query(sql).fetch_one().await.unwrap()
}
