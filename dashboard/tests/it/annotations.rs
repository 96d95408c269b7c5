//! Annotations: created and deleted in scope (403 outside), listed for the reports they
//! belong to and the days they overlap, drawn on the site page's chart as numbered markers
//! whose text is in the page, not told by color alone.
use crate::support::*;
use axum::body::Body;
use axum::http::{header, Request};
use serde_json::{json, Value};

async fn delete(router: &axum::Router, uri: &str, token: &str) -> u16 {
    let req = Request::delete(uri)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    send(router, req).await.status.as_u16()
}

fn texts(r: &Reply) -> Vec<String> {
    r.json()
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["text"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn annotations_are_scoped_listed_and_drawn() {
    let db = emc_sql::testing::test_db("dash_annotations").await;
    registry_fixture(&db).await;
    user(&db, "analyst-a", "analyst", &["bo-a"]).await;
    user(&db, "analyst-b", "analyst", &["bo-b"]).await;
    let router = dashboard(&db);
    let a = api_token(&router, "analyst-a").await;
    let b = api_token(&router, "analyst-b").await;
    let post = |body: Value, token: &str| {
        let (router, token) = (router.clone(), token.to_owned());
        async move { post_json(&router, "/api/v1/annotations", &token, body).await }
    };
    let r = post(
        json!({"site": "227", "date": "2026-03-02", "text": "Triển khai phiên bản 2"}),
        &a,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["date"], "2026-03-02");
    assert!(r.json().get("end").is_none(), "{}", r.body);
    let deploy = r.json()["id"].as_str().unwrap().to_owned();
    let r = post(json!({"agency": "bo-a", "date": "2026-02-25", "end": "2026-03-03", "text": "Chiến dịch DVC"}), &a).await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.json()["end"], "2026-03-03");
    let r = post(
        json!({"site": "227", "date": "2026-04-10", "text": "Sự cố máy chủ"}),
        &a,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = post(
        json!({"site": "300", "date": "2026-03-02", "text": "B"}),
        &b,
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    for (body, status) in [
        (
            json!({"site": "300", "date": "2026-03-02", "text": "x"}),
            403,
        ),
        (
            json!({"agency": "bo-b", "date": "2026-03-02", "text": "x"}),
            403,
        ),
        (
            json!({"site": "999", "date": "2026-03-02", "text": "x"}),
            404,
        ),
        (
            json!({"site": "227", "date": "02/03/2026", "text": "x"}),
            400,
        ),
        (
            json!({"site": "227", "date": "2026-03-02", "end": "2026-03-01", "text": "x"}),
            400,
        ),
        (
            json!({"site": "227", "date": "2026-03-02", "text": ""}),
            400,
        ),
    ] {
        let r = post(body.clone(), &a).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert!(r.json()["error"].is_string());
    }

    // Listed for the reports and days they belong to.
    let march = "from=2026-03-01&to=2026-03-31";
    let r = get(
        &router,
        &format!("/api/v1/annotations?site=227&{march}"),
        &a,
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(texts(&r), ["Chiến dịch DVC", "Triển khai phiên bản 2"]);
    let r = get(
        &router,
        &format!("/api/v1/annotations?site=228&{march}"),
        &a,
    )
    .await;
    assert_eq!(
        texts(&r),
        ["Chiến dịch DVC"],
        "the component's agency is beneath bo-a"
    );
    let r = get(
        &router,
        "/api/v1/annotations?agency=bo-a&from=2026-04-01&to=2026-04-30",
        &a,
    )
    .await;
    assert!(
        texts(&r).is_empty(),
        "a site's note is not its agency's: {}",
        r.body
    );
    let r = get(
        &router,
        "/api/v1/annotations?site=227&from=2026-04-01&to=2026-04-30",
        &a,
    )
    .await;
    assert_eq!(texts(&r), ["Sự cố máy chủ"]);
    assert_eq!(
        get(
            &router,
            &format!("/api/v1/annotations?site=300&{march}"),
            &a
        )
        .await
        .status,
        403
    );

    // Drawn on the site page's chart: a numbered marker with its text as title and in the list.
    let (cookie, _) = browser_login(&router, "analyst-a").await;
    let page = get_page(&router, &format!("/sites/227?{march}"), &cookie).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.body.matches("<g class=\"annotation\">").count(),
        2,
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains("<title>2. 2026-03-02 — 2026-03-02: Triển khai phiên bản 2</title>"),
        "{}",
        page.body
    );
    assert!(page.body.contains("<li value=\"2\"><time datetime=\"2026-03-02\">2026-03-02</time>: Triển khai phiên bản 2"), "{}", page.body);
    assert!(!page.body.contains("Sự cố máy chủ"));

    // Deleting: outside 403, inside 204 (again 204), unknown 404.
    assert_eq!(
        delete(&router, &format!("/api/v1/annotations/{deploy}"), &b).await,
        403
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/annotations/{deploy}"), &a).await,
        204
    );
    assert_eq!(
        delete(&router, &format!("/api/v1/annotations/{deploy}"), &a).await,
        204
    );
    assert_eq!(delete(&router, "/api/v1/annotations/nope", &a).await, 404);
    let r = get(
        &router,
        &format!("/api/v1/annotations?site=227&{march}"),
        &a,
    )
    .await;
    assert_eq!(texts(&r), ["Chiến dịch DVC"]);
}
