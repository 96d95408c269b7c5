//! Site search through both endpoints into ClickHouse: Matomo's `search`, `search_cat`,
//! `search_count` and a page URL with a search parameter are `site_search` hits with their
//! keyword, category and count, never page views.
use crate::support::*;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

const PAGE: &str = "https%3A%2F%2Fportal.gov.vn%2Ftim-kiem";

#[derive(clickhouse::Row, serde::Deserialize, Debug, PartialEq)]
struct Hit {
    name: String,
    search_keyword: String,
    search_category: String,
    search_count: Option<u32>,
}

#[tokio::test]
async fn matomo_and_beacon_searches_are_stored_as_searches() {
    let h = Harness::start("site_search_endpoints").await;
    let r = h.router();
    let matomo = |extra: &str| {
        Request::get(format!(
            "/matomo.php?idsite=227&rec=1&send_image=0&url={PAGE}{extra}"
        ))
        .header("user-agent", CHROME)
        .header("x-forwarded-for", "14.160.12.107")
        .body(Body::empty())
        .unwrap()
    };
    let cases = [
        (matomo("&action_name=T%C3%ACm%20ki%E1%BA%BFm"), StatusCode::NO_CONTENT),
        (
            matomo("&search=H%E1%BB%99%20Chi%E1%BA%BFu&search_cat=Th%E1%BB%A7%20t%E1%BB%A5c&search_count=0"),
            StatusCode::NO_CONTENT,
        ),
        (matomo("&search=visa&search_count=12"), StatusCode::NO_CONTENT),
        (matomo("&search=visa&search_count=many"), StatusCode::BAD_REQUEST),
    ];
    for (req, want) in cases {
        let uri = req.uri().to_string();
        let res = r.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let body = res.into_body().collect().await.unwrap().to_bytes();
        assert_eq!(status, want, "{uri}: {body:?}");
        if want == StatusCode::BAD_REQUEST {
            assert!(String::from_utf8_lossy(&body).contains("search_count"));
        }
    }
    // Another visitor lands on a results page: a search (default parameter `s`), not a page view.
    let beacon = r#"{"site":"227","name":"pageview","url":"https://portal.gov.vn/?s=thu%E1%BA%BF+%C4%91%E1%BA%A5t"}"#;
    let (status, _) = post_event(&r, beacon, "text/plain", CHROME, "113.160.1.1").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let db = h.finish().await;

    // Hits sent in the same millisecond have no order between them: compare them sorted by
    // name and keyword.
    let hits: Vec<Hit> = db
        .client()
        .query("SELECT ?fields FROM events ORDER BY name, search_keyword")
        .fetch_all()
        .await
        .unwrap();
    let hit = |name: &str, k: &str, c: &str, n: Option<u32>| Hit {
        name: name.into(),
        search_keyword: k.into(),
        search_category: c.into(),
        search_count: n,
    };
    assert_eq!(
        hits,
        [
            hit("pageview", "", "", None),
            hit("site_search", "hộ chiếu", "Thủ tục", Some(0)),
            hit("site_search", "thuế đất", "", None),
            hit("site_search", "visa", "", Some(12)),
        ]
    );
    // Two visits: one page view and two searches; one search alone.
    let visits: Vec<(i64, i64)> = db
        .client()
        .query("SELECT sum(sign * pageviews) AS p, sum(sign * events) AS e FROM sessions GROUP BY session_id ORDER BY e DESC")
        .fetch_all()
        .await
        .unwrap();
    assert_eq!(visits, [(1, 3), (0, 1)]);
}
