use emc_sql::registry::{self, AgencyGroup, NewAgency, NewSite, SiteKind};
use emc_sql::testing::test_db;

fn agency(id: &str, parent: Option<&str>) -> NewAgency {
    NewAgency {
        id: id.into(),
        name: format!("Agency {id}"),
        group: AgencyGroup::Ministry,
        parent: parent.map(Into::into),
    }
}

fn site(name: &str, domain: &str, code: Option<&str>) -> NewSite {
    NewSite {
        name: name.into(),
        domains: vec![domain.into()],
        kind: SiteKind::Portal,
        parent: None,
        agency: "bo-a".into(),
        code: code.map(Into::into),
    }
}

#[tokio::test]
async fn agencies_and_sites_round_trip() {
    let db = test_db("registry_round_trip").await;
    registry::add_agency(&db, agency("bo-a", None))
        .await
        .unwrap();
    registry::add_agency(&db, agency("cuc-a1", Some("bo-a")))
        .await
        .unwrap();
    assert!(
        registry::add_agency(&db, agency("bo-a", None))
            .await
            .is_err(),
        "duplicate id"
    );
    assert!(
        registry::add_agency(&db, agency("x", Some("nope")))
            .await
            .is_err(),
        "unknown parent"
    );

    let legacy = registry::add_site(&db, site("Cổng A", "A.gov.vn", Some("227")))
        .await
        .unwrap();
    assert_eq!(legacy.code, "227");
    assert_eq!(legacy.domains, vec!["a.gov.vn"]);
    let fresh = registry::add_site(&db, site("Cổng B", "b.gov.vn", None))
        .await
        .unwrap();
    assert_eq!(fresh.code, "10000");
    let next = registry::add_site(&db, site("Cổng C", "c.gov.vn", None))
        .await
        .unwrap();
    assert_eq!(next.code, "10001");

    let mut comp = site("Thành phần", "tp.a.gov.vn", None);
    comp.kind = SiteKind::Component;
    comp.parent = Some("227".into());
    let comp = registry::add_site(&db, comp).await.unwrap();
    assert_eq!(comp.parent, "227");

    let err = registry::add_site(&db, site("dup", "a.gov.vn", None))
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("already belongs to site 227"),
        "{err}"
    );
    let err = registry::add_site(&db, site("taken", "z.gov.vn", Some("227")))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("taken"), "{err}");
    let mut orphan = site("o", "o.gov.vn", None);
    orphan.agency = "missing".into();
    assert!(registry::add_site(&db, orphan).await.is_err());

    let codes: Vec<String> = registry::list_sites(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.code)
        .collect();
    assert_eq!(codes, vec!["227", "10000", "10001", "10002"]);
    assert_eq!(registry::list_agencies(&db).await.unwrap().len(), 2);
}
