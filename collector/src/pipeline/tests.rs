//! The pipeline without storage: every step's verdict on crafted hits.
use super::*;
use crate::enrich::user_agent::BotKind;
use crate::registry_cache::SiteEntry;
use chrono::TimeZone;

pub const CHROME: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";

fn pipeline() -> Pipeline {
    let geo = GeoDb::open(&[std::path::PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/testdata/geo/GeoIP2-City-Test.mmdb"
    ))])
    .unwrap();
    Pipeline {
        registry: RegistryCache::from_entries([
            SiteEntry {
                code: "227".into(),
                domains: vec!["portal.gov.vn".into()],
                search_params: vec![],
            },
            SiteEntry {
                code: "60".into(),
                domains: vec!["dichvucong.tinh.gov.vn".into()],
                search_params: vec!["tu-khoa".into()],
            },
        ]),
        ua: UaParser::new(),
        geo,
        salts: SaltSource::Ephemeral(Arc::new(EphemeralSalts::new())),
        sessions: SessionCache::new(1800),
        metrics: Arc::new(Metrics::new()),
        dvc: crate::dvc::DvcKey::ephemeral(),
    }
}

fn hit(site: &str, url: &str, ua: &str) -> Hit {
    Hit {
        site: site.into(),
        name: "pageview".into(),
        url: url.into(),
        referrer: Some("https://www.google.com.vn/search?q=x".into()),
        title: Some("Trang chủ".into()),
        screen_width: Some(1280),
        engaged_ms: None,
        timing: Timing::default(),
        meta: Meta::default(),
        props: vec![],
        client_ip: "81.2.69.142".parse().unwrap(),
        user_agent: ua.into(),
        time: Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap(),
        origin: Origin::Beacon,
        fields: Default::default(),
    }
}

#[test]
fn verdicts_of_each_step() {
    let p = pipeline();
    let cases: Vec<(Hit, Result<(), &str>)> = vec![
        (hit("227", "https://portal.gov.vn/a", CHROME), Ok(())),
        (hit("227", "https://www.portal.gov.vn/a", CHROME), Ok(())),
        (
            hit("999", "https://portal.gov.vn/a", CHROME),
            Err("unknown_site"),
        ),
        (
            hit("227", "https://evil.example/a", CHROME),
            Err("hostname_mismatch"),
        ),
        (
            hit("227", "ftp://portal.gov.vn/a", CHROME),
            Err("malformed"),
        ),
        (hit("227", "/relative", CHROME), Err("malformed")),
        (
            hit(
                "227",
                "https://portal.gov.vn/a",
                "Googlebot/2.1 (+http://www.google.com/bot.html)",
            ),
            Err("bot:crawler"),
        ),
        (
            hit(
                "227",
                "https://portal.gov.vn/a",
                "Mozilla/5.0 HeadlessChrome/120.0",
            ),
            Err("bot:headless"),
        ),
        (
            hit("227", "https://portal.gov.vn/a", ""),
            Err("bot:empty_ua"),
        ),
    ];
    for (h, want) in cases {
        let url = h.url.clone();
        let got = p.process(h).map(|_| ()).map_err(|e| e.reason());
        assert_eq!(got, want, "{url}");
    }
    assert_eq!(DropReason::Bot(BotKind::Crawler).status(), 202);
}

#[test]
fn an_accepted_page_view_is_enriched() {
    let p = pipeline();
    let accepted = p
        .process(hit(
            "227",
            "https://portal.gov.vn/tin-tuc?utm_source=zalo&utm_campaign=tet",
            CHROME,
        ))
        .unwrap();
    let event = accepted
        .records
        .iter()
        .find_map(|r| {
            if let crate::queue::Record::Event(e) = r {
                Some(e)
            } else {
                None
            }
        })
        .unwrap();
    assert_eq!(event.pathname, "/tin-tuc");
    assert_eq!(
        (
            event.source.as_str(),
            event.utm_source.as_str(),
            event.utm_campaign.as_str()
        ),
        ("campaign", "zalo", "tet")
    );
    assert_eq!(
        (event.country_code.as_str(), event.city.as_str()),
        ("GB", "London")
    );
    assert_eq!(
        (event.browser.as_str(), event.device.as_str()),
        ("Chrome", "desktop")
    );
    assert_eq!(event.is_https, 1);
    assert_ne!(event.visitor_id, 0);
    assert_eq!(event.session_id, accepted.session_id);
}

fn event_of(a: &Accepted) -> &emc_sql::rows::EventRow {
    a.records
        .iter()
        .find_map(|r| match r {
            crate::queue::Record::Event(e) => Some(&**e),
            _ => None,
        })
        .unwrap()
}

#[test]
fn site_searches_are_not_page_views() {
    use crate::enrich::site_search::SiteSearch;
    let p = pipeline();
    let search = |site: &str, url: &str, name: &str, props: &[(&str, &str)], fields| {
        let mut h = hit(site, url, CHROME);
        h.name = name.into();
        h.props = props
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        h.fields = fields;
        p.process(h).map(|a| {
            let e = event_of(&a);
            let keys = e.props_keys.join(",");
            let found = (
                e.search_keyword.clone(),
                e.search_category.clone(),
                e.search_count,
            );
            (e.name.clone(), found, keys)
        })
    };
    let none = RequestFields::default();
    let matomo = RequestFields {
        search: Some(SiteSearch::new("Hộ chiếu", "Thủ tục", Some(0))),
        ..RequestFields::default()
    };
    let s = |k: &str, c: &str, n: Option<u32>| (k.to_owned(), c.to_owned(), n);
    let cases = [
        // (site, url, name, props, fields) → (name, search, props left)
        (
            search(
                "227",
                "https://portal.gov.vn/tim?q=Visa&page=2",
                "pageview",
                &[],
                none.clone(),
            ),
            ("site_search", s("visa", "", None), ""),
        ),
        (
            search(
                "227",
                "https://portal.gov.vn/tim?page=2",
                "pageview",
                &[],
                none.clone(),
            ),
            ("pageview", s("", "", None), ""),
        ),
        (
            search("227", "https://portal.gov.vn/a", "pageview", &[], matomo),
            ("site_search", s("hộ chiếu", "Thủ tục", Some(0)), ""),
        ),
        (
            search(
                "227",
                "https://portal.gov.vn/a",
                "site_search",
                &[("name", "đất đai"), ("value", "3"), ("x", "y")],
                none.clone(),
            ),
            ("site_search", s("đất đai", "", Some(3)), "x"),
        ),
        // A custom event keeps its name even with ?q= in the page URL.
        (
            search(
                "227",
                "https://portal.gov.vn/a?q=x",
                "download",
                &[],
                none.clone(),
            ),
            ("download", s("", "", None), ""),
        ),
        // Site 60 names its own parameter: `tu-khoa` counts, the defaults do not.
        (
            search(
                "60",
                "https://dichvucong.tinh.gov.vn/?tu-khoa=cccd",
                "pageview",
                &[],
                none.clone(),
            ),
            ("site_search", s("cccd", "", None), ""),
        ),
        (
            search(
                "60",
                "https://dichvucong.tinh.gov.vn/?q=cccd",
                "pageview",
                &[],
                none.clone(),
            ),
            ("pageview", s("", "", None), ""),
        ),
    ];
    for (i, (got, (name, found, keys))) in cases.into_iter().enumerate() {
        assert_eq!(
            got,
            Ok((name.to_owned(), found, keys.to_owned())),
            "case {i}"
        );
    }
    let err = search(
        "227",
        "https://portal.gov.vn/a",
        "site_search",
        &[("category", "c")],
        none,
    );
    assert_eq!(err.map(|_| ()).map_err(|e| e.reason()), Err("malformed"));
}

#[test]
fn the_same_visitor_keeps_its_id_and_session_within_a_day() {
    let p = pipeline();
    let a = p
        .process(hit("227", "https://portal.gov.vn/a", CHROME))
        .unwrap();
    let mut second = hit("227", "https://portal.gov.vn/b", CHROME);
    second.time += chrono::Duration::minutes(5);
    let b = p.process(second).unwrap();
    assert_eq!(a.session_id, b.session_id);
    let mut other = hit("227", "https://portal.gov.vn/b", CHROME);
    other.client_ip = "2.125.160.216".parse().unwrap();
    assert_ne!(p.process(other).unwrap().session_id, a.session_id);
}

#[test]
fn a_visit_across_midnight_utc_stays_one_session() {
    let p = pipeline();
    let mut late = hit("227", "https://portal.gov.vn/a", CHROME);
    late.time = Utc.with_ymd_and_hms(2026, 3, 1, 23, 55, 0).unwrap();
    let mut early = hit("227", "https://portal.gov.vn/b", CHROME);
    early.time = Utc.with_ymd_and_hms(2026, 3, 2, 0, 5, 0).unwrap();
    let a = p.process(late).unwrap();
    let b = p.process(early).unwrap();
    assert_eq!(a.session_id, b.session_id);
}
