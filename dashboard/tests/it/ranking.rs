//! Ranking: a known scenario of portals in two groups scored by the pure function against the
//! formula recomputed here; ties; the visits-only method; then the same from stored rows
//! (rollups + events) with component sites and the previous period.
use crate::compliance::{day, insert_events, insert_sessions, range, ts};
use emc_dashboard::ranking::{
    self, criteria::TimingCount, Grade, Group, Method, RankingConfig, RankingRequest, SiteInputs,
};
use emc_dashboard::scope::Registry;
use emc_sql::registry::{AgencyRow, SiteRow};
use emc_sql::rows::{EventRow, SessionRow};
use std::collections::BTreeMap;

fn agency(id: &str, group: &str) -> AgencyRow {
    AgencyRow {
        id: id.into(),
        name: id.into(),
        group_kind: group.into(),
        ..AgencyRow::default()
    }
}

fn site(code: &str, agency: &str, kind: &str, parent: &str, domains: &[&str]) -> SiteRow {
    SiteRow {
        code: code.into(),
        name: format!("Cổng {code}"),
        domains: domains.iter().map(|d| d.to_string()).collect(),
        kind: kind.into(),
        parent: parent.into(),
        agency: agency.into(),
        ..SiteRow::default()
    }
}

fn registry() -> Registry {
    Registry {
        agencies: vec![
            agency("bo-a", "ministry"),
            agency("bo-b", "ministry"),
            agency("bo-c", "ministry"),
            agency("bo-d", "ministry"),
            agency("cuc-a1", "other"),
            agency("tinh-x", "province"),
            agency("tinh-y", "province"),
        ],
        sites: vec![
            site("201", "bo-a", "portal", "", &["a.gov.vn"]),
            site("202", "bo-b", "portal", "", &["b.gov.vn"]),
            site("203", "bo-c", "portal", "", &["c.gov.vn", "c-bo.vn"]),
            site("204", "bo-d", "portal", "", &["d.gov.vn"]),
            site("2011", "cuc-a1", "component", "201", &["cuc.a.gov.vn"]),
            site("301", "tinh-x", "portal", "", &["x.gov.vn"]),
            site("302", "tinh-y", "portal", "", &["y.gov.vn"]),
        ],
    }
}

/// (visits, visitors, bounces, avg duration s, days, page views, labelled, DC complete, https, [(measured, ok); 4])
type Row = (i64, u64, i64, i64, u16, u64, u64, u64, u64, [(u64, u64); 4]);

const SCENARIO: &[(&str, Row)] = &[
    (
        "201",
        (
            10_000,
            8_000,
            0,
            200,
            365,
            20_000,
            20_000,
            20_000,
            20_000,
            [(100, 100); 4],
        ),
    ),
    (
        "202",
        (
            1_000,
            900,
            400,
            60,
            300,
            3_000,
            2_700,
            2_400,
            3_000,
            [(100, 90), (100, 80), (100, 95), (100, 70)],
        ),
    ),
    (
        "203",
        (
            100,
            90,
            80,
            20,
            100,
            150,
            0,
            30,
            75,
            [(20, 10), (0, 0), (0, 0), (0, 0)],
        ),
    ),
    (
        "2011",
        (
            500,
            400,
            100,
            30,
            200,
            600,
            600,
            0,
            600,
            [(10, 10), (0, 0), (0, 0), (0, 0)],
        ),
    ),
    (
        "301",
        (
            50_000,
            40_000,
            20_000,
            100,
            365,
            100_000,
            95_000,
            90_000,
            100_000,
            [(100, 90); 4],
        ),
    ),
    (
        "302",
        (
            2_000,
            1_500,
            500,
            150,
            350,
            5_000,
            5_000,
            5_000,
            5_000,
            [(100, 100); 4],
        ),
    ),
];

fn inputs() -> BTreeMap<String, SiteInputs> {
    SCENARIO
        .iter()
        .map(|(code, r)| {
            let i = SiteInputs {
                visits: r.0,
                visitors: r.1,
                bounces: r.2,
                duration: r.3 * r.0,
                days: (0..r.4).map(|d| 20_089 + d).collect(),
                pageviews: r.5,
                labelled: r.6,
                dc_complete: r.7,
                https: r.8,
                timings: r.9.map(|(measured, ok)| TimingCount { measured, ok }),
                domains: vec![],
                scan: Default::default(),
            };
            (code.to_string(), i)
        })
        .collect()
}

/// The documented formula, written out again: (score rounded to 0.01, criteria).
fn expected(code: &str, group: &[&str], reg: &Registry) -> (f64, [f64; 8]) {
    let rows: BTreeMap<&str, Row> = SCENARIO.iter().copied().collect();
    let zero: Row = (0, 0, 0, 0, 0, 0, 0, 0, 0, [(0, 0); 4]);
    let r = rows.get(code).copied().unwrap_or(zero);
    let max_v = group
        .iter()
        .map(|c| rows.get(c).map_or(0, |r| r.0))
        .max()
        .unwrap() as f64;
    let max_u = group
        .iter()
        .map(|c| rows.get(c).map_or(0, |r| r.1))
        .max()
        .unwrap() as f64;
    let lg = |x: f64, m: f64| {
        if x > 0.0 {
            100.0 * (1.0 + x).ln() / (1.0 + m).ln()
        } else {
            0.0
        }
    };
    let ratio = |a: f64, b: f64| if b > 0.0 { 100.0 * a / b } else { 0.0 };
    let (v, u) = (r.0 as f64, r.1 as f64);
    let traffic = 0.5 * lg(v, max_v) + 0.5 * lg(u, max_u);
    let engagement = if v > 0.0 {
        50.0 * (1.0 - r.2 as f64 / v) + 50.0 * (r.3 as f64 / 120.0).min(1.0)
    } else {
        0.0
    };
    let measured: Vec<f64> =
        r.9.iter()
            .filter(|t| t.0 > 0)
            .map(|t| ratio(t.1 as f64, t.0 as f64))
            .collect();
    let speed = if measured.is_empty() {
        0.0
    } else {
        measured.iter().sum::<f64>() / measured.len() as f64
    };
    let domains = &reg.sites.iter().find(|s| s.code == code).unwrap().domains;
    let gov = domains.iter().filter(|d| d.ends_with(".gov.vn")).count() as f64;
    let c = [
        traffic,
        engagement,
        ratio(f64::from(r.4), 365.0),
        ratio(r.6 as f64, r.5 as f64),
        ratio(r.7 as f64, r.5 as f64),
        ratio(gov, domains.len() as f64),
        speed,
        ratio(r.8 as f64, r.5 as f64),
    ];
    let w = [30.0, 10.0, 15.0, 10.0, 10.0, 5.0, 10.0, 10.0];
    let score: f64 = c.iter().zip(w).map(|(c, w)| c * w).sum::<f64>() / 100.0;
    ((score * 100.0).round() / 100.0, c)
}

fn band(s: f64) -> Grade {
    [
        (90.0, Grade::A),
        (80.0, Grade::B),
        (65.0, Grade::C),
        (50.0, Grade::D),
    ]
    .into_iter()
    .find(|(min, _)| s >= *min)
    .map_or(Grade::E, |(_, g)| g)
}

#[test]
fn weighted_ranking_of_a_known_scenario_in_two_groups() {
    let reg = registry();
    let cfg = RankingConfig::default();
    for (group, codes) in [
        (Group::Ministry, vec!["201", "202", "203", "204"]),
        (Group::Province, vec!["301", "302"]),
    ] {
        let entries = ranking::entries(&reg, &group, false, &inputs());
        assert_eq!(
            entries.iter().map(|e| e.site.as_str()).collect::<Vec<_>>(),
            codes,
            "members of {group:?}"
        );
        let got = ranking::rank(&entries, &cfg, Method::Weighted, 365);
        let mut want: Vec<(&str, f64)> = codes
            .iter()
            .map(|c| (*c, expected(c, &codes, &reg).0))
            .collect();
        want.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| a.0.len().cmp(&b.0.len()))
                .then_with(|| a.0.cmp(b.0))
        });
        for (i, (code, score)) in want.iter().enumerate() {
            let r = &got[i];
            assert_eq!(
                (r.rank, r.site.as_str()),
                (i as u32 + 1, *code),
                "{group:?}"
            );
            assert!(
                (r.score - score).abs() < 1e-9,
                "{code}: {} vs {score}",
                r.score
            );
            assert_eq!(r.grade, Some(band(*score)), "{code}");
            let c = expected(code, &codes, &reg).1;
            let shown = [
                r.criteria.traffic,
                r.criteria.engagement,
                r.criteria.connection,
                r.criteria.label,
                r.criteria.metadata,
                r.criteria.domain,
                r.criteria.speed,
                r.criteria.security,
            ];
            for (k, (a, b)) in shown.iter().zip(c).enumerate() {
                assert!(
                    (a - (b * 100.0).round() / 100.0).abs() < 1e-9,
                    "{code} criterion {k}: {a} vs {b}"
                );
            }
        }
    }
    // Anchors: a perfect portal, a silent one, and the grades in between.
    let m = ranking::rank(
        &ranking::entries(&reg, &Group::Ministry, false, &inputs()),
        &cfg,
        Method::Weighted,
        365,
    );
    let summary: Vec<(&str, f64, Option<Grade>)> = m
        .iter()
        .map(|r| (r.site.as_str(), r.score, r.grade))
        .collect();
    assert_eq!(summary[0], ("201", 100.0, Some(Grade::A)));
    assert_eq!(
        summary[3],
        ("204", 5.0, Some(Grade::E)),
        "no data: only the domain criterion"
    );
    assert_eq!(m[2].site, "203");
    assert_eq!(m[2].criteria.domain, 50.0);
}

#[test]
fn ties_are_broken_by_visits_then_site_code() {
    let reg = Registry {
        agencies: vec![agency("p", "province")],
        sites: ["99", "100", "205"]
            .iter()
            .map(|c| site(c, "p", "portal", "", &["p.gov.vn"]))
            .collect(),
    };
    let mut cfg = RankingConfig::default();
    cfg.weights.traffic = 0.0; // visits then no longer move the score
    let base = |visits: i64| SiteInputs {
        visits,
        visitors: visits as u64,
        pageviews: 10,
        https: 5,
        ..SiteInputs::default()
    };
    let inputs: BTreeMap<String, SiteInputs> =
        [("99", base(10)), ("100", base(10)), ("205", base(50))]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
    let r = ranking::rank(
        &ranking::entries(&reg, &Group::Province, false, &inputs),
        &cfg,
        Method::Weighted,
        30,
    );
    assert!(r.iter().all(|x| x.score == r[0].score), "all tied on score");
    assert_eq!(
        r.iter().map(|x| x.site.as_str()).collect::<Vec<_>>(),
        ["205", "99", "100"]
    );
}

#[test]
fn visits_only_reproduces_the_2024_method_and_components_can_be_included() {
    let reg = registry();
    let cfg = RankingConfig::default();
    let with = ranking::entries(&reg, &Group::Ministry, true, &inputs());
    assert_eq!(with[0].inputs.visits, 10_500, "201 + its component 2011");
    assert_eq!(with[0].inputs.days.len(), 365, "days are a union");
    assert_eq!(with[0].inputs.domains, ["a.gov.vn", "cuc.a.gov.vn"]);
    let r = ranking::rank(&with, &cfg, Method::Visits, 365);
    let got: Vec<(&str, f64, Option<Grade>)> = r
        .iter()
        .map(|x| (x.site.as_str(), x.score, x.grade))
        .collect();
    assert_eq!(
        got,
        vec![
            ("201", 100.0, None),
            ("202", 9.52, None),
            ("203", 0.95, None),
            ("204", 0.0, None)
        ]
    );
    let comps = ranking::entries(&reg, &Group::Components("201".into()), true, &inputs());
    assert_eq!(
        comps
            .iter()
            .map(|e| (e.site.as_str(), e.inputs.visits))
            .collect::<Vec<_>>(),
        [("2011", 500)]
    );
}

/// One visit: a session row (+1) and its page views as events, at 05:00 UTC on `date`.
pub fn visit(site: &str, date: &str, id: u64, pageviews: u32) -> (SessionRow, Vec<EventRow>) {
    let t = ts(&format!("{date} 05:00:00"));
    let s = SessionRow {
        site: site.into(),
        session_id: id,
        sign: 1,
        visitor_id: id,
        start: t,
        timestamp: t,
        pageviews,
        events: pageviews,
        duration: 60,
        is_bounce: u8::from(pageviews == 1),
        ..SessionRow::default()
    };
    let e = (0..pageviews)
        .map(|k| EventRow {
            site: site.into(),
            timestamp: t + k,
            name: "pageview".into(),
            session_id: id,
            visitor_id: id,
            is_https: 1,
            ..EventRow::default()
        })
        .collect();
    (s, e)
}

#[tokio::test]
async fn ranking_from_stored_rows_with_components_and_the_previous_year() {
    let db = emc_sql::testing::test_db("ranking_stored").await;
    // 2025: 202 > 201 on visits; 2024: 201 > 202. Component 2011 tips 201 ahead in 2025 when included.
    let plan: &[(&str, &str, u64)] = &[
        ("201", "2025-03-01", 3),
        ("202", "2025-03-02", 4),
        ("2011", "2025-05-01", 2),
        ("201", "2024-06-01", 5),
        ("202", "2024-06-01", 1),
    ];
    let (mut sessions, mut events) = (vec![], vec![]);
    let mut id = 0;
    for (code, date, visits) in plan {
        for _ in 0..*visits {
            id += 1;
            let (s, e) = visit(code, date, id, if id % 2 == 0 { 2 } else { 1 });
            sessions.push(s);
            events.extend(e);
        }
    }
    insert_sessions(&db, &sessions).await;
    insert_events(&db, &events).await;

    let year = range("2025-01-01", "2025-12-31");
    let codes: Vec<String> = ["201", "202", "2011"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let got = emc_dashboard::reports::ranking::load_inputs(&db, &codes, &year)
        .await
        .unwrap();
    for code in ["201", "202", "2011"] {
        let mine: Vec<&SessionRow> = sessions
            .iter()
            .filter(|s| s.site == code && s.start >= year.start_ts() && s.start < year.end_ts())
            .collect();
        let i = &got[code];
        assert_eq!(i.visits, mine.len() as i64, "{code}");
        assert_eq!(
            i.bounces,
            mine.iter().filter(|s| s.is_bounce == 1).count() as i64,
            "{code}"
        );
        assert_eq!(
            i.duration,
            mine.iter().map(|s| i64::from(s.duration)).sum::<i64>(),
            "{code}"
        );
        assert_eq!(
            i.pageviews,
            mine.iter().map(|s| u64::from(s.pageviews)).sum::<u64>(),
            "{code}"
        );
        assert_eq!(
            (i.https, i.visitors, i.days.len()),
            (i.pageviews, mine.len() as u64, 1),
            "{code}"
        );
    }
    assert_eq!(
        got["201"].days.iter().next().copied(),
        Some((day("2025-03-01") - day("1970-01-01")).num_days() as u16)
    );

    let reg = registry();
    let cfg = RankingConfig::default();
    let mut req = RankingRequest {
        range: year,
        group: Group::Ministry,
        method: Method::Visits,
        include_components: false,
        with_previous: true,
    };
    let r = ranking::compute(&db, &reg, &req, &cfg).await.unwrap();
    assert_eq!(r.previous, Some((day("2024-01-01"), day("2024-12-31"))));
    let rows: Vec<(&str, i64, Option<u32>, Option<i64>)> = r
        .sites
        .iter()
        .map(|x| (x.site.as_str(), x.visits, x.previous_rank, x.rank_change))
        .collect();
    assert_eq!(
        rows[..2],
        [("202", 4, Some(2), Some(1)), ("201", 3, Some(1), Some(-1))]
    );
    req.include_components = true;
    let r = ranking::compute(&db, &reg, &req, &cfg).await.unwrap();
    assert_eq!(
        (
            r.sites[0].site.as_str(),
            r.sites[0].visits,
            r.sites[0].rank_change
        ),
        ("201", 5, Some(0))
    );
    req.method = Method::Weighted;
    let w = ranking::compute(&db, &reg, &req, &cfg).await.unwrap();
    assert!(w
        .sites
        .iter()
        .all(|s| s.grade.is_some() && (0.0..=100.0).contains(&s.score)));
}
