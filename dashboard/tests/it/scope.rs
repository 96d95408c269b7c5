//! One authorization decision for pages, API and CSV: an analyst of ministry A gets 403 on
//! ministry B's site everywhere, and sees a site created under A after the analyst was.
use crate::support::*;
use emc_sql::registry::SiteKind;

#[tokio::test]
async fn analyst_scope_is_the_same_on_pages_api_and_csv() {
    let db = emc_sql::testing::test_db("dash_scope").await;
    registry_fixture(&db).await;
    user(&db, "analyst-a", "analyst", &["bo-a"]).await;
    user(&db, "owner-b", "owner", &["bo-b"]).await;
    let router = dashboard(&db);
    let token = api_token(&router, "analyst-a").await;
    let (cookie, _) = browser_login(&router, "analyst-a").await;
    let q = "from=2026-03-01&to=2026-03-02";

    for uri in [
        format!("/api/v1/stats?site=300&{q}"),
        format!("/api/v1/breakdown?site=300&by=page&{q}"),
        format!("/api/v1/timeseries?site=300&{q}"),
        format!("/api/v1/export.csv?report=stats&site=300&{q}"),
        format!("/api/v1/stats?agency=bo-b&{q}"),
    ] {
        assert_eq!(get(&router, &uri, &token).await.status, 403, "{uri}");
        assert_eq!(
            get_page(&router, &uri, &cookie).await.status,
            403,
            "{uri} (cookie)"
        );
    }
    assert_eq!(
        get_page(&router, &format!("/sites/300?{q}"), &cookie)
            .await
            .status,
        403
    );
    assert_eq!(
        get_page(&router, &format!("/agencies/bo-b?{q}"), &cookie)
            .await
            .status,
        403
    );
    // In scope: its ministry's portal and the component of its sub-agency.
    for site in ["227", "228"] {
        assert_eq!(
            get(&router, &format!("/api/v1/stats?site={site}&{q}"), &token)
                .await
                .status,
            200
        );
        assert_eq!(
            get_page(&router, &format!("/sites/{site}?{q}"), &cookie)
                .await
                .status,
            200
        );
    }
    // Unknown site: 404; not signed in: 401 (API) or the sign-in page.
    assert_eq!(
        get(&router, &format!("/api/v1/stats?site=999&{q}"), &token)
            .await
            .status,
        404
    );
    assert_eq!(
        get(&router, &format!("/api/v1/stats?site=227&{q}"), "wrong")
            .await
            .status,
        401
    );
    let anon = send(
        &router,
        axum::http::Request::get("/sites/227")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(anon.status, 303);

    // A site created under A's sub-agency after the analyst: in scope at once.
    site(
        &db,
        "229",
        "moi.portal.gov.vn",
        "cuc-a1",
        SiteKind::Component,
        Some("227"),
    )
    .await;
    assert_eq!(
        get(&router, &format!("/api/v1/stats?site=229&{q}"), &token)
            .await
            .status,
        200
    );
    let listed = get(&router, "/api/v1/sites", &token).await.json();
    let codes: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, vec!["227", "228", "229"]);
    let stats = get(
        &router,
        &format!("/api/v1/stats?site=227&include_components=true&{q}"),
        &token,
    )
    .await
    .json();
    assert_eq!(stats["sites"], serde_json::json!(["227", "228", "229"]));

    // An analyst may not change the registry; an owner sees only its agency's sites.
    let r = post_json(
        &router,
        "/api/v1/agencies",
        &token,
        serde_json::json!({"id":"x","name":"X","group":"other","parent":null}),
    )
    .await;
    assert_eq!(r.status, 403);
    let owner = api_token(&router, "owner-b").await;
    assert_eq!(
        get(&router, &format!("/api/v1/stats?site=227&{q}"), &owner)
            .await
            .status,
        403
    );
    assert_eq!(
        get(&router, &format!("/api/v1/stats?site=300&{q}"), &owner)
            .await
            .status,
        200
    );
    let page = get_page(&router, &format!("/sites/227?{q}"), &cookie).await;
    assert!(
        !page.body.contains("data-site="),
        "an analyst does not get the snippet form"
    );
}
