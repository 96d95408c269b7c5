//! One scenario sent, request for request, to two collectors — one on the single test server,
//! one on the 2 × 2 cluster — then every report of the two dashboards compared exactly: stats,
//! time series, every breakdown, filters, ranking, compliance, health, realtime and the
//! open-data files.
use super::support::{until, Collector, CHROME, MATOMO_TOKEN};
use emc_e2e::Service;
use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::testing::Cluster;
use emc_sql::Db;
use std::time::Duration;

const PASSWORD: &str = "mat-khau-cua-cum-may";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const FIREFOX: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";
const ANDROID: &str = "Mozilla/5.0 (Linux; Android 14; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36";
const AGENTS: [&str; 4] = [CHROME, IPHONE, FIREFOX, ANDROID];
/// Client addresses: each with the four agents is four visitors.
const ADDRESS_GROUPS: u32 = 30;
const PAGES: [&str; 6] = [
    "/",
    "/tin-tuc",
    "/tin-tuc/bai-1",
    "/dich-vu-cong",
    "/lien-he",
    "/van-ban?id=3",
];
const REFERRERS: [&str; 6] = [
    "",
    "https://www.google.com/",
    "https://www.facebook.com/",
    "https://baochinhphu.vn/tin",
    "https://coccoc.com/search?q=a",
    "",
];

/// Agency bo-a with portal 227 (portal.gov.vn), agency bo-b with portal 300 (bob.gov.vn).
async fn register(db: &Db) {
    emc_e2e::register_portal_227(db, "Cổng A").await;
    let agency = NewAgency {
        id: "bo-b".into(),
        name: "Bộ B".into(),
        group: AgencyGroup::Ministry,
        parent: None,
    };
    registry::add_agency(db, agency).await.unwrap();
    let site = NewSite {
        name: "Cổng B".into(),
        domains: vec!["bob.gov.vn".into()],
        kind: SiteKind::Portal,
        parent: None,
        agency: "bo-b".into(),
        code: Some("300".into()),
    };
    registry::add_site(db, site).await.unwrap();
}

/// The scenario as Matomo bulk requests (client address, body) and the number of hits.
/// Every hit is dated (`cdt`) in the 20 minutes before `now`, so no open visit is idle long
/// enough for the collectors' sweeper to close it in the middle of the load.
fn scenario(now: u64) -> (Vec<(String, String)>, usize) {
    let mut bulks = Vec::new();
    let mut hits = 0;
    for g in 0..ADDRESS_GROUPS {
        let (site, host) = if g % 3 == 2 {
            ("300", "bob.gov.vn")
        } else {
            ("227", "portal.gov.vn")
        };
        let address = match g % 4 {
            0 => format!("14.160.{g}.7"),
            1 => format!("113.160.{g}.1"),
            2 => format!("27.72.{g}.1"),
            _ => format!("203.0.113.{g}"),
        };
        let mut requests: Vec<(u64, String)> = Vec::new();
        for (a, agent) in AGENTS.iter().enumerate() {
            let v = g as usize * AGENTS.len() + a;
            let start = now - 1200 + (v as u64 * 37) % 1000;
            let views = 1 + v % 4;
            let referrer = REFERRERS[v % REFERRERS.len()];
            for p in 0..views {
                let page = PAGES[(v + p * 5) % PAGES.len()];
                let mut url = format!("https://{host}{page}");
                if v.is_multiple_of(7) && p == 0 {
                    url.push_str(if page.contains('?') { "&" } else { "?" });
                    url.push_str("utm_source=bao&utm_medium=email&utm_campaign=dvc-2026");
                }
                let mut q = format!(
                    "idsite={site}&rec=1&url={}&action_name=Trang&res=1280x800&cdt={}&ua={}",
                    enc(&url),
                    start + p as u64 * 30,
                    enc(agent)
                );
                if p == 0 && !referrer.is_empty() {
                    q.push_str(&format!("&urlref={}", enc(referrer)));
                }
                if v % 3 != 1 {
                    let net = 20 + (v * 13 + p * 7) % 180;
                    q.push_str(&format!(
                        "&pf_net={net}&pf_srv={}&pf_tfr=30&pf_dm1=200&pf_dm2={}&pf_onl=10",
                        100 + (v * 31) % 900,
                        300 + (v * 17 + p) % 2500
                    ));
                }
                requests.push((start + p as u64 * 30, q));
                hits += 1;
            }
            if v.is_multiple_of(5) {
                let q = format!(
                    "idsite={site}&rec=1&url={}&e_c=dich-vu&e_a=tai-ve&e_n=mau-1&cdt={}&ua={}",
                    enc(&format!("https://{host}/dich-vu-cong")),
                    start + 5,
                    enc(agent)
                );
                requests.push((start + 5, q));
                hits += 1;
            }
        }
        requests.sort();
        let body = serde_json::json!({
            "requests": requests.iter().map(|(_, q)| format!("?{q}")).collect::<Vec<_>>(),
            "token_auth": MATOMO_TOKEN,
        });
        bulks.push((address, body.to_string()));
    }
    (bulks, hits)
}

/// JSON-tag engagement hits with timings and metadata, one per visitor: (address, body).
fn timed_loads() -> Vec<(String, String)> {
    (0..24u32)
        .map(|i| {
            let (site, host) = if i % 3 == 2 {
                ("300", "bob.gov.vn")
            } else {
                ("227", "portal.gov.vn")
            };
            let page = PAGES[i as usize % 4];
            let body = serde_json::json!({
                "site": site,
                "name": "engagement",
                "url": format!("https://{host}{page}"),
                "timing": {
                    "ttfb": 80 + i * 37 % 500,
                    "fcp": 600 + i * 271 % 3500,
                    "lcp": 1200 + i * 389 % 4500,
                    "load": 2000 + i * 433 % 6000,
                    "response": 50 + i * 97 % 900,
                },
                "meta": {
                    "emc_label": i % 4 != 0,
                    "dc": if i % 2 == 0 {
                        vec!["Title", "Creator", "Date", "Publisher", "Description", "Identifier"]
                    } else {
                        vec!["Title"]
                    },
                },
            });
            (format!("198.51.100.{}", i + 1), body.to_string())
        })
        .collect()
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn events(db: &Db) -> u64 {
    db.client()
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap_or(0)
}

/// Every report URL compared, for the year `year` and the range `range`.
fn urls(year: &str, range: &str) -> Vec<String> {
    let mut out = Vec::new();
    for site in ["227", "300"] {
        let r = format!("site={site}&{range}");
        out.push(format!("/api/v1/stats?{r}"));
        out.push(format!("/api/v1/stats?{r}&compare=true"));
        for interval in ["hour", "day", "month"] {
            out.push(format!("/api/v1/timeseries?{r}&interval={interval}"));
        }
        for by in [
            "page",
            "entry_page",
            "exit_page",
            "source",
            "referrer",
            "utm_campaign",
            "country",
            "region",
            "city",
            "browser",
            "os",
            "device",
        ] {
            out.push(format!("/api/v1/breakdown?{r}&by={by}&limit=100"));
        }
        for filter in [
            "source:organic",
            "browser:Chrome",
            "page:/tin-tuc",
            "device:mobile",
        ] {
            out.push(format!("/api/v1/stats?{r}&filter={filter}"));
            out.push(format!(
                "/api/v1/breakdown?{r}&by=page&limit=100&filter={filter}"
            ));
            out.push(format!(
                "/api/v1/timeseries?{r}&interval=day&filter={filter}"
            ));
        }
        out.push(format!("/api/v1/compliance?{r}"));
        out.push(format!("/api/v1/health?{r}"));
        out.push(format!("/api/v1/realtime?site={site}"));
        out.push(format!("/api/v1/export.csv?report=stats&{r}"));
        out.push(format!("/api/v1/export.csv?report=breakdown&by=page&{r}"));
    }
    out.push(format!("/api/v1/stats?agency=bo-a&{range}"));
    out.push(format!("/api/v1/overview?{range}"));
    out.push(format!("/api/v1/compliance?{range}"));
    for q in ["", "&group=ministry", "&method=visits"] {
        out.push(format!("/api/v1/ranking?year={year}{q}"));
    }
    for file in ["ranking", "monthly"] {
        for ext in ["csv", "json"] {
            out.push(format!("/open-data/{file}-{year}.{ext}"));
        }
    }
    out
}

/// Where two JSON values differ, as `pointer: single != cluster` lines.
fn json_diff(at: &str, a: &serde_json::Value, b: &serde_json::Value) -> Vec<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let (p, q) = (
                        x.get(k).unwrap_or(&Value::Null),
                        y.get(k).unwrap_or(&Value::Null),
                    );
                    json_diff(&format!("{at}/{k}"), p, q)
                })
                .collect()
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .flat_map(|(i, (p, q))| json_diff(&format!("{at}/{i}"), p, q))
            .collect(),
        _ if a == b => Vec::new(),
        // How long ago a site was last heard from is measured against the wall clock at the
        // request, from connection-log times of two loads sent one after the other.
        (Value::Number(x), Value::Number(y))
            if at.ends_with("/silent_for_secs")
                && (x.as_i64().unwrap_or(0) - y.as_i64().unwrap_or(0)).abs() <= 5 =>
        {
            Vec::new()
        }
        _ => vec![format!("{at}: {a:.300} != {b:.300}")],
    }
}

async fn token(http: &reqwest::Client, base: &str) -> String {
    let r = http
        .post(format!("{base}/api/v1/login"))
        .json(&serde_json::json!({"username": "admin", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    v["token"].as_str().unwrap().to_owned()
}

async fn fetch(http: &reqwest::Client, base: &str, token: &str, url: &str) -> (u16, String) {
    let r = http
        .get(format!("{base}{url}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_reports_equal_the_single_node() {
    let cluster = Cluster::start().await.expect("the cluster starts");
    let single = emc_sql::testing::test_db("cluster_reports_single").await;
    let clustered = cluster
        .db("cluster_reports")
        .await
        .expect("migrated on the cluster");
    register(&single).await;
    register(&clustered).await;
    let tmp = tempfile::tempdir().unwrap();
    let c1 = Collector::start(&single, tmp.path().join("single"), false).await;
    let c2 = Collector::start(&clustered, tmp.path().join("cluster"), true).await;

    let (now, year, today): (u64, String, String) = single
        .client()
        .query("SELECT toUInt64(now()), toString(toYear(now(), 'Asia/Ho_Chi_Minh')), toString(toDate(now(), 'Asia/Ho_Chi_Minh'))")
        .fetch_one()
        .await
        .unwrap();
    let (bulks, hits) = scenario(now);
    let http = reqwest::Client::new();
    for (address, body) in &bulks {
        for c in [&c1, &c2] {
            let r = http
                .post(format!("{}/matomo.php", c.base))
                .header("x-forwarded-for", address)
                .header("user-agent", CHROME)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert!(r.status().is_success(), "{}", r.text().await.unwrap());
        }
    }
    // Page-load timings and Circular 22 metadata come from the JSON tag: one engagement hit
    // per visitor (a visit of one hit lasts 0 s, whenever it arrives), for compliance.
    let loads = timed_loads();
    for (address, body) in &loads {
        for c in [&c1, &c2] {
            let r = http
                .post(format!("{}/api/event", c.base))
                .header("x-forwarded-for", address)
                .header("user-agent", CHROME)
                .header("content-type", "text/plain")
                .body(body.clone())
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202, "{}", r.text().await.unwrap());
        }
    }
    let hits = hits + loads.len();
    for (db, c) in [(&single, &c1), (&clustered, &c2)] {
        until(Duration::from_secs(60), "every hit lands", || async {
            (events(db).await == hits as u64).then_some(())
        })
        .await;
        c.wait_drained().await;
    }
    assert_eq!(events(&clustered).await, hits as u64, "no duplicate");

    let d1 = Service::dashboard(&single, &[("EMC_ADMIN_PASSWORD", PASSWORD)]).await;
    let d2 = Service::dashboard(
        &clustered,
        &[
            ("EMC_ADMIN_PASSWORD", PASSWORD),
            ("EMC_CLICKHOUSE_CLUSTER", super::support::CLUSTER),
        ],
    )
    .await;
    let (t1, t2) = (token(&http, &d1.base).await, token(&http, &d2.base).await);
    let range = format!("from={year}-01-01&to={today}");
    let mut compared = 0;
    let mut differ = Vec::new();
    for url in urls(&year, &range) {
        let (s1, b1) = fetch(&http, &d1.base, &t1, &url).await;
        let (s2, b2) = fetch(&http, &d2.base, &t2, &url).await;
        assert_eq!(s1, 200, "{url} on the single node: {b1}");
        let diffs = match (
            serde_json::from_str::<serde_json::Value>(&b1),
            serde_json::from_str::<serde_json::Value>(&b2),
        ) {
            (Ok(a), Ok(b)) => json_diff("", &a, &b),
            _ if b1 == b2 => Vec::new(),
            _ => vec![format!("single: {b1:.600}\n  cluster: {b2:.600}")],
        };
        if s1 != s2 || !diffs.is_empty() {
            differ.push(format!("{url} ({s1} / {s2})\n  {}", diffs.join("\n  ")));
        }
        compared += 1;
    }
    let errors: Vec<String> = d2
        .log()
        .lines()
        .filter(|l| l.contains("ERROR"))
        .take(5)
        .map(String::from)
        .collect();
    assert!(
        differ.is_empty(),
        "{} of {compared} reports differ:\n{}\ncluster dashboard errors:\n{}",
        differ.len(),
        differ.join("\n"),
        errors.join("\n")
    );
    // The reports were about something: the scenario's page views are all there.
    let (_, stats) = fetch(
        &http,
        &d2.base,
        &t2,
        &format!("/api/v1/stats?agency=bo-a&{range}"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&stats).unwrap();
    assert!(v["pageviews"].as_i64().unwrap_or(0) > 100, "{stats}");
    let (_, compliance) = fetch(
        &http,
        &d2.base,
        &t2,
        &format!("/api/v1/compliance?site=227&{range}"),
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&compliance).unwrap();
    assert!(
        v["total"]["page_loads"].as_u64().unwrap_or(0) >= 16,
        "{compliance}"
    );
}
