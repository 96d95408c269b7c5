//! The binaries as an operator runs them: registry commands, the collector serving
//! beacons, a site registered while it runs, the importer, a graceful stop that flushes.
use emc_e2e::{cli, Collector};

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn stdout(o: &std::process::Output) -> String {
    assert!(
        o.status.success(),
        "exit {:?}: {}",
        o.status,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[tokio::test]
async fn registry_commands_collector_and_a_graceful_stop() {
    let db = emc_sql::testing::test_db("e2e_processes").await;
    stdout(&cli(
        "emc-dashboard",
        &db,
        &[
            "agency",
            "add",
            "--id",
            "bo-tttt",
            "--name",
            "Bộ TT&TT",
            "--group",
            "ministry",
        ],
    ));
    let out = stdout(&cli(
        "emc-dashboard",
        &db,
        &[
            "site",
            "add",
            "--name",
            "Cổng",
            "--domain",
            "mic.gov.vn",
            "--kind",
            "portal",
            "--agency",
            "bo-tttt",
            "--code",
            "227",
        ],
    ));
    assert!(out.contains("code: 227"), "{out}");
    assert!(
        out.contains(r#"data-site="227""#) && out.contains("/tracker.js"),
        "snippet printed: {out}"
    );
    let refused = cli(
        "emc-dashboard",
        &db,
        &[
            "site",
            "add",
            "--name",
            "x",
            "--domain",
            "mic.gov.vn",
            "--kind",
            "portal",
            "--agency",
            "bo-tttt",
        ],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("already belongs to site 227"));

    let mut collector = Collector::start(&db, &[]).await;
    let http = reqwest::Client::new();
    let send = |site: &str, host: &str| {
        let body = format!(r#"{{"site":"{site}","name":"pageview","url":"https://{host}/"}}"#);
        http.post(format!("{}/api/event", collector.base))
            .header("content-type", "text/plain;charset=UTF-8")
            .header("user-agent", CHROME)
            .body(body)
            .send()
    };
    assert_eq!(send("227", "mic.gov.vn").await.unwrap().status(), 202);

    // A site registered while the collector runs is accepted within 5 seconds.
    let out = stdout(&cli(
        "emc-dashboard",
        &db,
        &[
            "site",
            "add",
            "--name",
            "Mới",
            "--domain",
            "moi.gov.vn",
            "--kind",
            "portal",
            "--agency",
            "bo-tttt",
        ],
    ));
    let code = out
        .lines()
        .find_map(|l| l.strip_prefix("code: "))
        .unwrap()
        .trim()
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let status = send(&code, "moi.gov.vn").await.unwrap().status();
        if status == 202 {
            break;
        }
        assert_eq!(status, 404);
        assert!(
            std::time::Instant::now() < deadline,
            "new site not accepted within 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let metrics = http
        .get(format!("{}/metrics", collector.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("emc_accepted_total{endpoint=\"event\"}"),
        "{metrics}"
    );

    let status = collector.stop().expect("stopped");
    assert!(status.success(), "graceful exit: {status:?}");
    let events: u64 = db
        .client()
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(events, 2, "everything accepted was flushed at shutdown");
    let list = stdout(&cli("emc-dashboard", &db, &["site", "list"]));
    assert!(
        list.contains("mic.gov.vn") && list.contains("moi.gov.vn"),
        "{list}"
    );
}

#[tokio::test]
async fn the_import_command_prints_its_summary() {
    let db = emc_sql::testing::test_db("e2e_import").await;
    stdout(&cli(
        "emc-dashboard",
        &db,
        &[
            "agency",
            "add",
            "--id",
            "hn",
            "--name",
            "Hà Nội",
            "--group",
            "province",
        ],
    ));
    stdout(&cli(
        "emc-dashboard",
        &db,
        &[
            "site",
            "add",
            "--name",
            "Hà Nội",
            "--domain",
            "hanoi.gov.vn",
            "--kind",
            "portal",
            "--agency",
            "hn",
            "--code",
            "5",
        ],
    ));
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let lines = [
        format!(
            r#"14.160.12.107 - - [01/Mar/2026:08:00:00 +0700] "GET / HTTP/1.1" 200 10 "-" "{CHROME}""#
        ),
        format!(
            r#"14.160.12.107 - - [01/Mar/2026:08:00:01 +0700] "GET /app.js HTTP/1.1" 200 10 "-" "{CHROME}""#
        ),
        "garbage".to_owned(),
        format!(
            r#"14.160.12.107 - - [01/Mar/2026:08:01:00 +0700] "GET /tin-tuc HTTP/1.1" 200 10 "-" "{CHROME}""#
        ),
    ];
    std::fs::write(&log, lines.join("\n")).unwrap();
    let data = dir.path().join("var");
    let out = std::process::Command::new(emc_e2e::bin("emc-collector"))
        .args(["import", "--site", "5"])
        .arg(&log)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .env("EMC_DATA_DIR", &data)
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(text.contains("lines read: 4"), "{text}");
    assert!(text.contains("accepted:   2"), "{text}");
    assert!(
        text.contains("static_asset") && text.contains(":2"),
        "{text}"
    );
    assert!(text.contains(":3"), "the malformed line's number: {text}");
    let pv: u64 = db
        .client()
        .query("SELECT count() FROM events WHERE site = '5'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(pv, 2);
    let unknown = std::process::Command::new(emc_e2e::bin("emc-collector"))
        .args(["import", "--site", "999"])
        .arg(&log)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .env("EMC_DATA_DIR", &data)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--site 999"));
}
