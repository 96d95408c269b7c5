//! The document against the route table and the parsers it describes.
use super::*;
use crate::{Face, ROUTES};
use std::collections::BTreeSet;

fn operations(doc: &Document) -> BTreeSet<(String, String)> {
    let json = serde_json::to_value(doc).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in json["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            out.insert((method.to_uppercase(), path.clone()));
        }
    }
    out
}

#[test]
fn every_api_route_is_described_and_nothing_else() {
    let routes: BTreeSet<(String, String)> = ROUTES
        .iter()
        .filter(|r| r.path.starts_with("/api/v1/"))
        .map(|r| {
            assert_eq!(r.face, Face::Api, "{r:?}");
            (r.verb.method().to_string(), r.path.to_owned())
        })
        .collect();
    assert_eq!(operations(&document()), routes);
}

#[test]
fn public_routes_need_no_token_and_the_others_a_bearer_token() {
    let json = serde_json::to_value(document()).unwrap();
    assert_eq!(json["openapi"], "3.1.0");
    assert_eq!(json["security"], serde_json::json!([{ BEARER: [] }]));
    assert_eq!(
        json["components"]["securitySchemes"][BEARER]["scheme"],
        "bearer"
    );
    for r in ROUTES.iter().filter(|r| r.path.starts_with("/api/v1/")) {
        let op = &json["paths"][r.path][r.verb.method().as_str().to_lowercase()];
        let public = op["security"] == serde_json::json!([{}]);
        assert_eq!(public, r.access == crate::Access::Public, "{r:?}");
    }
}

#[test]
fn operation_ids_are_unique() {
    let json = serde_json::to_value(document()).unwrap();
    let mut seen = BTreeSet::new();
    for item in json["paths"].as_object().unwrap().values() {
        for op in item.as_object().unwrap().values() {
            let id = op["operationId"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{id} twice");
        }
    }
}
