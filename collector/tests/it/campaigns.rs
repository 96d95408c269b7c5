//! Matomo's campaign parameters (`mtm_*`, `pk_*`, `matomo_*`, `piwik_*`, and the tracking
//! fields `_rcn` / `_rck`) count as `utm_*` do: through the Matomo endpoint and the importer.
use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use emc_collector::config::ImportConfig;
use tower::ServiceExt;

/// (client, page URL query, extra tracking fields, want: source class, utm_source,
/// utm_medium, utm_campaign, utm_term). One visitor per row, each its own visit.
type Case = (
    &'static str,
    &'static str,
    &'static str,
    (
        &'static str,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    ),
);

const CASES: &[Case] = &[
    (
        "14.160.0.1",
        "?mtm_campaign=tet2026&mtm_source=zalo",
        "",
        ("campaign", "zalo", "", "tet2026", ""),
    ),
    (
        "14.160.0.2",
        "?pk_campaign=dvc&pk_kwd=ho+chieu",
        "",
        ("campaign", "", "", "dvc", "ho chieu"),
    ),
    (
        "14.160.0.3",
        "?matomo_campaign=m&matomo_medium=email",
        "",
        ("campaign", "", "email", "m", ""),
    ),
    (
        "14.160.0.4",
        "?piwik_campaign=p&piwik_source=sms",
        "",
        ("campaign", "sms", "", "p", ""),
    ),
    // Matomo's names before utm_*, whatever their order in the URL.
    (
        "14.160.0.5",
        "?utm_campaign=u&utm_source=fb&mtm_campaign=m",
        "",
        ("campaign", "fb", "", "m", ""),
    ),
    // The tracker's _rcn/_rck, with nothing in the page URL.
    (
        "14.160.0.6",
        "",
        "&_rcn=bao-chi&_rck=thu+tuc",
        ("campaign", "", "", "bao-chi", "thu tuc"),
    ),
    // The URL wins over _rcn; _rck fills the blank keyword.
    (
        "14.160.0.7",
        "?mtm_campaign=url",
        "&_rcn=tracker&_rck=k",
        ("campaign", "", "", "url", "k"),
    ),
    // Not campaign parameters.
    (
        "14.160.0.8",
        "?mtm_cid=7&campaign=x",
        "",
        ("direct", "", "", "", ""),
    ),
];

fn url_param(query: &str) -> String {
    let url = format!("https://portal.gov.vn/tin-tuc{query}");
    form_urlencoded::byte_serialize(url.as_bytes()).collect()
}

type SessionCampaign = (String, String, String, String, String);

async fn campaigns_by_start(db: &emc_sql::Db) -> Vec<SessionCampaign> {
    db.client()
        .query(
            "SELECT source, utm_source, utm_medium, utm_campaign, utm_term FROM sessions \
             WHERE site = '227' AND sign = 1 ORDER BY start, visitor_id",
        )
        .fetch_all()
        .await
        .unwrap()
}

fn want(rows: &[Case]) -> Vec<SessionCampaign> {
    rows.iter()
        .map(|(_, _, _, (class, s, m, c, t))| {
            let owned = |x: &str| x.to_owned();
            (owned(class), owned(s), owned(m), owned(c), owned(t))
        })
        .collect()
}

#[tokio::test]
async fn matomo_requests_carry_campaigns() {
    let h = Harness::start("campaigns_matomo").await;
    let r = h.router();
    let t0 = 1_772_323_200; // 2026-03-01 00:00:00 UTC
    for (i, (ip, query, fields, _)) in CASES.iter().enumerate() {
        // One request per visitor, a minute apart (cdt, with the token, orders the visits).
        let request = format!(
            "?idsite=227&rec=1&url={}{fields}&cdt={}",
            url_param(query),
            t0 + 60 * i
        );
        let body = serde_json::json!({ "token_auth": MATOMO_TOKEN, "requests": [request] });
        let req = Request::post("/tracking")
            .header("content-type", "application/json")
            .header("user-agent", CHROME)
            .header("x-forwarded-for", *ip)
            .body(Body::from(body.to_string()))
            .unwrap();
        let res = r.clone().oneshot(req).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{query}");
    }
    let db = h.finish().await;
    assert_eq!(campaigns_by_start(&db).await, want(CASES));
}

#[tokio::test]
async fn imported_urls_carry_campaigns() {
    let db = emc_sql::testing::test_db("campaigns_import").await;
    register_portal(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    // The importer sees page URLs only: the rows without tracking fields.
    let rows: Vec<Case> = CASES.iter().filter(|c| c.2.is_empty()).copied().collect();
    let mut text = String::new();
    for (i, (ip, query, _, _)) in rows.iter().enumerate() {
        text.push_str(&format!(
            "{ip} - - [01/Mar/2026:08:{i:02}:00 +0700] \"GET /tin-tuc{query} HTTP/1.1\" 200 512 \"-\" \"{CHROME}\"\n"
        ));
    }
    std::fs::write(&log, text).unwrap();
    let cfg = ImportConfig {
        site: "227".into(),
        format: "combined".into(),
        files: vec![log],
    };
    let summary = emc_collector::import::run(&common(&db, dir.path()), &cfg, db.clone())
        .await
        .unwrap();
    assert_eq!(summary.accepted, rows.len() as u64);
    assert_eq!(campaigns_by_start(&db).await, want(&rows));
}
