//! `GET /api/v1/openapi.json` against the tools integrators use: the served document is valid
//! OpenAPI (`openapi-spec-validator`), and schemathesis, driving every operation of a live
//! dashboard (ClickHouse 18.16, the stats scenario's visits, an admin token), finds no 5xx and
//! no response that differs from the document (body schema, status code, content type).
//! Both tools come from PyPI through `scripts/install-deps.sh`.
use axum::http::StatusCode;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::process::Command;

/// Test cases per operation, and the fixed seed that makes a run repeatable.
const MAX_EXAMPLES: &str = "12";
const SEED: &str = "20261207";
/// The whole schemathesis run must end within this (it takes about a minute on 2 cores).
const DEADLINE: Duration = Duration::from_secs(240);

/// Besides the values schemathesis makes up, it draws some from the scenario's registry and
/// days (sites 227/228/300 of agencies bo-a/cuc-a1/bo-b, visits on 2026-03-02 and 03), so
/// answers with data are checked too, not only `404`s and empty ranges.
const CONFIG: &str = r#"
[dictionaries]
sites = { values = ["227", "228", "300"] }
agencies = { values = ["bo-a", "cuc-a1", "bo-b"] }
days = { values = ["2026-03-01", "2026-03-02", "2026-03-03"] }
users = { values = ["admin"] }
groups = { values = ["ministry", "province", "other"] }
kinds = { values = ["portal", "component"] }
roles = { values = ["admin", "analyst", "owner"] }

[parameters]
"query.site" = { dictionary = "sites", probability = 0.5 }
"query.agency" = { dictionary = "agencies", probability = 0.3 }
"query.from" = { dictionary = "days", probability = 0.4 }
"query.to" = { dictionary = "days", probability = 0.4 }
"path.name" = { dictionary = "users", probability = 0.5 }
"body.agency" = { dictionary = "agencies", probability = 0.5 }
"body.group" = { dictionary = "groups", probability = 0.7 }
"body.kind" = { dictionary = "kinds", probability = 0.7 }
"body.role" = { dictionary = "roles", probability = 0.7 }
"#;

/// Runs `python3 -m MODULE ARGS…` in `dir`, killed at `deadline`; (success, stdout + stderr).
async fn python(dir: &Path, module: &str, args: &[&str], deadline: Duration) -> (bool, String) {
    let child = Command::new("python3")
        .arg("-m")
        .arg(module)
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("python3 -m {module}: {e} (run scripts/install-deps.sh)"));
    let out = tokio::time::timeout(deadline, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("python3 -m {module} ran past {deadline:?}"))
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_is_valid_and_schemathesis_finds_no_fault() {
    let (router, token, _db) = crate::stats::load("dash_openapi").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // Served without a token, as JSON, describing the API it is served by.
    let res = reqwest::get(format!("{base}/api/v1/openapi.json"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    let text = res.text().await.unwrap();
    let doc: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/api/v1/stats"]["get"].is_object(), "{doc}");

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &text).unwrap();
    let (ok, out) = python(
        dir.path(),
        "openapi_spec_validator",
        &[file.to_str().unwrap()],
        Duration::from_secs(60),
    )
    .await;
    assert!(ok, "openapi-spec-validator:\n{out}");
    assert!(out.contains("OK"), "{out}");

    let config = dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let started = Instant::now();
    let auth = format!("Authorization: Bearer {token}");
    let url = format!("{base}/api/v1/openapi.json");
    let (ok, out) = python(
        dir.path(),
        "schemathesis.cli",
        &[
            "--config-file",
            config.to_str().unwrap(),
            "run",
            &url,
            "--url",
            &base,
            "--header",
            &auth,
            "--checks",
            "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
            "--max-examples",
            MAX_EXAMPLES,
            "--seed",
            SEED,
            "--generation-database",
            "none",
            "--request-timeout",
            "10",
            "--workers",
            "2",
            "--report",
            "junit,har",
            "--report-junit-path",
            "junit.xml",
            "--report-har-path",
            "har.json",
            "--no-color",
        ],
        DEADLINE,
    )
    .await;
    let elapsed = started.elapsed();
    assert!(ok, "schemathesis found faults:\n{out}");
    // Every operation was exercised (the JUnit report names each one; the document's own
    // route is the one schemathesis reads, not one it tests: it is checked above), and every
    // GET answered with data at least once, not only with errors.
    let junit = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let har: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("har.json")).unwrap())
            .unwrap();
    let mut answers: BTreeMap<String, BTreeMap<u64, usize>> = BTreeMap::new();
    for e in har["log"]["entries"].as_array().unwrap() {
        let url = e["request"]["url"].as_str().unwrap();
        let path = url[base.len()..].split('?').next().unwrap().to_owned();
        let key = format!("{} {path}", e["request"]["method"].as_str().unwrap());
        let status = e["response"]["status"].as_u64().unwrap();
        *answers.entry(key).or_default().entry(status).or_default() += 1;
    }
    eprintln!("schemathesis ran in {elapsed:?}:\n{out}\nanswers: {answers:#?}");
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path == "/api/v1/openapi.json" {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let op = format!("{} {path}", method.to_uppercase());
            assert!(junit.contains(&op), "{op} not tested:\n{out}");
        }
        if item.get("get").is_some() && !path.contains('{') {
            let got = answers.get(&format!("GET {path}"));
            assert!(
                got.is_some_and(|s| s.contains_key(&200)),
                "GET {path} never answered 200: {got:?}"
            );
        }
    }
}
