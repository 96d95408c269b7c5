//! No raw IP address and no personal data in any table. Traffic from known client addresses
//! goes in through every door of the real collector binary (JSON beacons, a Matomo GET that
//! carries Matomo's own visitor and user ids and a DVC custom variable with an applicant's
//! name and ID number, an access-log import), then every text-bearing column of every table
//! of the test database is searched for each of those values.
//!
//! Allowed, and not searched for: the truncated networks of the connection log
//! (`client_net` = `14.160.12.0/24`, `2001:ee0:4f12::/48`) that Circular 22/2023 Art. 8.3
//! asks to keep — they name a network, not a person — and the server's salted hashes
//! (`visitor_id`, `dossier_hash`), which no one can reverse once the day's salt is gone.
use emc_e2e::{bin, Collector};
use std::time::Duration;

const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";

/// Client addresses (VNPT, Viettel, an IPv6 FPT-style address).
const V4_A: &str = "14.160.12.107";
const V4_B: &str = "113.190.44.21";
const V6: &str = "2001:ee0:4f12:8a00::17";
/// Ids a Matomo client makes up and sends (`uid` is the portal's own user id).
const UID: &str = "citizen-0912345678";
const MATOMO_ID: &str = "a1b2c3d4e5f60718";
const MATOMO_CID: &str = "0f1e2d3c4b5a6978";
/// The applicant of a public-service dossier, as `trackDVC` sends it.
const NAME: &str = "Nguyễn Văn Ánh";
const ID_NO: &str = "001099012345";
const DOSSIER: &str = "HS-2026-000123";

/// What must not be found anywhere, with what it is.
fn needles() -> Vec<(String, &'static str)> {
    let mut v = vec![];
    for ip in [V4_A, V4_B] {
        v.push((ip.to_owned(), "raw IPv4 address"));
        v.push((format!("::ffff:{ip}"), "IPv4-mapped IPv6 address"));
    }
    v.push((V6.to_owned(), "raw IPv6 address"));
    v.push((
        "2001:ee0:4f12:8a00:0:0:0:17".to_owned(),
        "raw IPv6 address, expanded",
    ));
    for (s, what) in [
        (UID, "Matomo uid"),
        (MATOMO_ID, "Matomo _id"),
        (MATOMO_CID, "Matomo cid"),
        (NAME, "applicant name"),
        (ID_NO, "applicant ID number"),
        (DOSSIER, "raw dossier id"),
    ] {
        v.push((s.to_owned(), what));
    }
    v
}

fn dvc_legacy() -> String {
    format!("{DOSSIER};05032026;{NAME};{ID_NO}")
}

async fn json_beacons(http: &reqwest::Client, base: &str) {
    for (ip, ua) in [(V4_A, CHROME), (V4_B, IPHONE), (V6, CHROME)] {
        for body in [
            serde_json::json!({"site": "227", "name": "pageview", "url": "https://portal.gov.vn/dich-vu-cong", "title": "Dịch vụ công"}),
            serde_json::json!({"site": "227", "name": "dvc", "url": "https://portal.gov.vn/dich-vu-cong",
                "props": {"service": "1.004227", "flag": "1", "dossier": dvc_legacy()}}),
        ] {
            let r = http
                .post(format!("{base}/api/event"))
                .header("content-type", "text/plain;charset=UTF-8")
                .header("user-agent", ua)
                .header("x-forwarded-for", ip)
                .body(body.to_string())
                .send()
                .await
                .unwrap();
            assert_eq!(
                r.status(),
                202,
                "{ip}: {}",
                r.text().await.unwrap_or_default()
            );
        }
    }
}

async fn matomo_requests(http: &reqwest::Client, base: &str) {
    let cvar = serde_json::json!({"1": ["hoso", dvc_legacy()], "2": ["email", "anh@example.vn"]})
        .to_string();
    let common: Vec<(&str, String)> = vec![
        ("idsite", "227".into()),
        ("rec", "1".into()),
        ("url", "https://portal.gov.vn/dich-vu-cong/nop-ho-so".into()),
        ("action_name", "Nộp hồ sơ".into()),
        ("cip", V4_B.into()),
        ("uid", UID.into()),
        ("_id", MATOMO_ID.into()),
        ("cid", MATOMO_CID.into()),
        ("_cvar", cvar.clone()),
        ("cvar", cvar),
        ("send_image", "0".into()),
    ];
    let event = [("e_c", "DVC"), ("e_a", "DVC"), ("e_n", "1.004227")];
    for extra in [&[][..], &event[..]] {
        let mut q = common.clone();
        q.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let r = http
            .get(format!("{base}/tracking"))
            .query(&q)
            .header("user-agent", CHROME)
            .header("x-forwarded-for", V4_A)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 204, "{}", r.text().await.unwrap_or_default());
    }
}

fn import(db: &emc_sql::Db, dir: &std::path::Path) {
    let log = dir.join("access.log");
    let lines: Vec<String> = [(V4_A, "/"), (V4_B, "/tin-tuc"), (V6, "/dich-vu-cong"), (V4_A, "/lien-he")]
        .iter()
        .enumerate()
        .map(|(i, (ip, path))| format!(r#"{ip} - - [20/Nov/2026:08:0{i}:00 +0700] "GET {path} HTTP/1.1" 200 512 "-" "{CHROME}""#))
        .collect();
    std::fs::write(&log, lines.join("\n")).unwrap();
    let out = std::process::Command::new(bin("emc-collector"))
        .args(["import", "--site", "227"])
        .arg(&log)
        .env("EMC_CLICKHOUSE_URL", db.url())
        .env("EMC_CLICKHOUSE_DB", db.database())
        .env("EMC_DATA_DIR", dir.join("var"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "import: {text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("accepted:   4"), "{text}");
}

#[derive(clickhouse::Row, serde::Deserialize, Debug)]
struct Column {
    table: String,
    name: String,
    #[serde(rename = "type")]
    kind: String,
}

#[tokio::test]
async fn no_table_holds_a_raw_address_or_personal_data() {
    let db = emc_sql::testing::test_db("e2e_privacy").await;
    emc_e2e::register_portal_227(&db, "Cổng A").await;

    let mut collector = Collector::start(&db, &[]).await;
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    json_beacons(&http, &collector.base).await;
    matomo_requests(&http, &collector.base).await;
    let status = collector.stop().expect("stopped");
    assert!(
        status.success(),
        "graceful stop flushes: {status:?} {}",
        collector.log()
    );
    let dir = tempfile::tempdir().unwrap();
    import(&db, dir.path());

    // The traffic landed (else the scan below proves nothing).
    let client = db.client();
    let count = |sql: &'static str| client.query(sql).fetch_one::<u64>();
    assert_eq!(
        count("SELECT count() FROM events WHERE origin != 'import' AND name = 'pageview'")
            .await
            .unwrap(),
        4,
        "3 JSON + 1 Matomo page views"
    );
    assert_eq!(
        count("SELECT count() FROM events WHERE name = 'dvc'")
            .await
            .unwrap(),
        4,
        "3 JSON + 1 Matomo DVC events"
    );
    assert_eq!(
        count("SELECT count() FROM events WHERE origin = 'import'")
            .await
            .unwrap(),
        4
    );
    assert_eq!(count("SELECT count() FROM events WHERE has(props_keys, 'dossier_hash')").await.unwrap(), 5, "the dossier kept as a hash: 4 DVC events and the Matomo page view that carried the custom variable");
    let nets: Vec<String> = client
        .query("SELECT DISTINCT client_net FROM connection_log ORDER BY client_net")
        .fetch_all()
        .await
        .unwrap();
    for net in ["14.160.12.0/24", "113.190.44.0/24", "2001:ee0:4f12::/48"] {
        assert!(
            nets.iter().any(|n| n == net),
            "the client's network, truncated, is kept: {net} in {nets:?}"
        );
    }

    // Every String and Array(String) column (nullable, low-cardinality and fixed-size ones
    // too) of every table; views have no rows of their own. ClickHouse 18.16 has no
    // multi-needle search, so the values are read and searched here (the data set is small).
    let columns: Vec<Column> = client
        .query(
            "SELECT table, name, type FROM system.columns WHERE database = ? \
             AND table IN (SELECT name FROM system.tables WHERE database = ? AND engine NOT LIKE '%View') ORDER BY table, name",
        )
        .bind(db.database())
        .bind(db.database())
        .fetch_all()
        .await
        .unwrap();
    let scanned: Vec<(&Column, String)> = columns
        .iter()
        .filter_map(|c| as_text(&c.name, &c.kind).map(|e| (c, e)))
        .collect();
    let tables: std::collections::BTreeSet<&str> =
        scanned.iter().map(|(c, _)| c.table.as_str()).collect();
    for t in [
        "events",
        "sessions",
        "connection_log",
        "sites",
        "users",
        "audit_log",
        "api_tokens",
    ] {
        assert!(tables.contains(t), "{t} is scanned: {tables:?}");
    }
    let needles = needles();
    let mut values: Vec<(String, String)> = vec![];
    for (c, expr) in &scanned {
        let sql = format!("SELECT {expr} FROM `{}`", c.table.replace('`', ""));
        let rows: Vec<String> = client
            .query(&sql)
            .fetch_all()
            .await
            .unwrap_or_else(|e| panic!("{}.{} ({}): {e}", c.table, c.name, c.kind));
        values.extend(
            rows.into_iter()
                .map(|v| (format!("{}.{} ({})", c.table, c.name, c.kind), v)),
        );
    }
    let search = |needle: &str| -> Vec<&(String, String)> {
        values
            .iter()
            .filter(|(_, v)| v.to_lowercase().contains(&needle.to_lowercase()))
            .collect()
    };
    // The scan sees what is there: the allowed truncated network, a key inside an array.
    assert!(
        search("14.160.12.0/24")
            .iter()
            .any(|(c, _)| c.starts_with("connection_log.client_net")),
        "the scan reads the connection log"
    );
    assert!(
        search("dossier_hash")
            .iter()
            .any(|(c, _)| c.starts_with("events.props_keys")),
        "the scan reads inside arrays"
    );
    let mut found = vec![];
    for (needle, what) in &needles {
        for (column, v) in search(needle) {
            found.push(format!("{what} {needle:?} in {column}: {v:?}"));
        }
    }
    let values = values.len();
    assert!(
        found.is_empty(),
        "personal data stored:\n{}",
        found.join("\n")
    );
    println!(
        "privacy scan: {} text columns of {} tables, {values} values, {} needles: clean",
        scanned.len(),
        tables.len(),
        needles.len()
    );
}

/// The column as one `String` per row, for a type that can hold text; `None` for the rest
/// (numbers, dates, enums, aggregate states). A text-bearing type not handled here fails.
fn as_text(name: &str, kind: &str) -> Option<String> {
    let col = format!("`{}`", name.replace('`', ""));
    let scalar =
        |k: &str| k == "String" || k == "LowCardinality(String)" || k.starts_with("FixedString(");
    if scalar(kind) {
        return Some(format!("toString({col})"));
    }
    if let Some(inner) = kind
        .strip_prefix("Nullable(")
        .and_then(|k| k.strip_suffix(')'))
    {
        if scalar(inner) {
            return Some(format!("ifNull(toString({col}), '')"));
        }
    }
    if let Some(inner) = kind
        .strip_prefix("Array(")
        .and_then(|k| k.strip_suffix(')'))
    {
        if scalar(inner) {
            return Some(format!(
                "arrayStringConcat(arrayMap(x -> toString(x), {col}), '\\n')"
            ));
        }
    }
    assert!(
        !kind.contains("String") || kind.starts_with("AggregateFunction("),
        "column {name} of type {kind}: teach the privacy scan to read it"
    );
    None
}
