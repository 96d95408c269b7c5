//! `/open-data` without sign-in: DC meta tags, the DCAT-AP catalog (JSON-LD) whose every
//! distribution answers 200 with its media type, the CSV headers the README documents, JSON.
use crate::ranking_api::stored_scenario;
use crate::support::*;
use axum::body::Body;
use axum::http::Request;
use serde_json::Value;

async fn public(router: &axum::Router, uri: &str) -> Reply {
    send(router, Request::get(uri).body(Body::empty()).unwrap()).await
}

const DC: [&str; 10] = [
    "Title",
    "Creator",
    "Date",
    "Publisher",
    "Description",
    "Identifier",
    "Language",
    "Type",
    "Format",
    "Rights",
];

fn has_dc(body: &str) -> bool {
    DC.iter().all(|e| {
        let at = body.find(&format!("<meta name=\"DC.{e}\" content=\""));
        at.is_some_and(|i| !body[i..].starts_with(&format!("<meta name=\"DC.{e}\" content=\"\"")))
    })
}

#[tokio::test]
async fn open_data_is_public_with_a_dcat_catalog_csv_and_json() {
    let db = emc_sql::testing::test_db("open_data").await;
    stored_scenario(&db).await;
    let router = dashboard(&db);

    let page = public(&router, "/open-data").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(has_dc(&page.body), "{}", page.body);
    assert!(page
        .body
        .contains("/open-data/ranking-2025.csv?group=ministry&amp;method=visits"));
    assert!(
        has_dc(&public(&router, "/login").await.body),
        "the sign-in page carries DC too"
    );

    // The catalog.
    let r = public(&router, "/open-data/catalog.jsonld").await;
    assert_eq!(r.status, 200);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/ld+json"));
    let cat = r.json();
    for (prefix, iri) in [
        ("dcat", "http://www.w3.org/ns/dcat#"),
        ("dct", "http://purl.org/dc/terms/"),
        ("foaf", "http://xmlns.com/foaf/0.1/"),
    ] {
        assert_eq!(cat["@context"][prefix], iri);
    }
    assert_eq!(cat["@type"], "dcat:Catalog");
    let fields = [
        "dct:title",
        "dct:description",
        "dct:publisher",
        "dct:issued",
        "dct:modified",
        "dct:license",
    ];
    for f in fields {
        assert!(!cat[f].is_null(), "catalog {f}");
    }
    assert_eq!(cat["dct:publisher"]["@type"], "foaf:Agent");
    let datasets = cat["dcat:dataset"].as_array().unwrap();
    assert!(datasets.len() >= 2);
    assert!(datasets.iter().any(|d| d["@id"]
        .as_str()
        .unwrap()
        .ends_with("/open-data/ranking-2025")));
    let mut checked = 0;
    for d in datasets {
        assert_eq!(d["@type"], "dcat:Dataset");
        for f in fields {
            assert!(!d[f].is_null(), "{} {f}", d["@id"]);
        }
        let dists = d["dcat:distribution"].as_array().unwrap();
        let media: Vec<&str> = dists
            .iter()
            .map(|x| x["dcat:mediaType"].as_str().unwrap())
            .collect();
        assert_eq!(media, ["text/csv", "application/json"]);
        for x in dists {
            assert_eq!(x["@type"], "dcat:Distribution");
            let url = x["dcat:downloadURL"]["@id"].as_str().unwrap();
            assert_eq!(x["dcat:accessURL"]["@id"].as_str(), Some(url));
            let path = &url[url.find("/open-data/").unwrap()..];
            let got = public(&router, path).await;
            assert_eq!(got.status, 200, "{path}: {}", got.body);
            let ct = got.headers["content-type"].to_str().unwrap();
            assert!(
                ct.starts_with(x["dcat:mediaType"].as_str().unwrap()),
                "{path}: {ct}"
            );
            if ct.starts_with("application/json") {
                assert!(serde_json::from_str::<Value>(&got.body).is_ok(), "{path}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 4);

    // CSV headers as documented in the README; the figures of the plan.
    let csv = public(&router, "/open-data/ranking-2025.csv").await.body;
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("year,group,method,rank,site,name,score,grade,visits,visitors,traffic,engagement,connection,label,metadata,domain,speed,security"));
    assert_eq!(
        lines.count(),
        2 * 4,
        "ministry (3) + province (1) + other (0), weighted and visits"
    );
    let visits = public(
        &router,
        "/open-data/ranking-2025.csv?group=ministry&method=visits",
    )
    .await
    .body;
    assert!(
        visits
            .lines()
            .nth(1)
            .unwrap()
            .starts_with("2025,ministry,visits,1,201,Cổng 201,100.00,,5,5,"),
        "{visits}"
    );
    let monthly = public(&router, "/open-data/monthly-2025.csv").await.body;
    assert_eq!(
        monthly.lines().next(),
        Some("month,site,name,kind,visits,pageviews,visitors,bounce_rate,avg_session_duration")
    );
    let json = public(&router, "/open-data/monthly-2025.json").await.json();
    let march_201 = json
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["site"] == "201" && r["month"] == "2025-03")
        .unwrap();
    // Ids 1..5: page views 1,2,1,2,1; bounces 3; 60 s each.
    assert_eq!(
        (
            march_201["visits"].as_i64(),
            march_201["pageviews"].as_i64(),
            march_201["visitors"].as_i64()
        ),
        (Some(5), Some(7), Some(5))
    );
    assert_eq!(
        (
            march_201["bounce_rate"].as_f64(),
            march_201["avg_session_duration"].as_f64()
        ),
        (Some(0.6), Some(60.0))
    );
    let j = public(
        &router,
        "/open-data/ranking-2025.json?group=province&method=weighted",
    )
    .await
    .json();
    assert_eq!(j[0]["site"], "301");
    assert!(j[0]["grade"].is_string());

    // Unknown files and bad parameters.
    assert_eq!(
        public(&router, "/open-data/ranking-1999.csv").await.status,
        404
    );
    assert_eq!(public(&router, "/open-data/secrets.csv").await.status, 404);
    assert_eq!(
        public(&router, "/open-data/ranking-2025.xml").await.status,
        404
    );
    assert_eq!(
        public(&router, "/open-data/ranking-2025.csv?group=x")
            .await
            .status,
        400
    );
}
