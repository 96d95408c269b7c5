//! The retention executor on a real ClickHouse: rows in old, straddling and recent months of
//! every raw table (the materialized views fill the rollups); with a fixed "today" it drops
//! exactly the expected partitions of raw and rollup tables, audits each, and nothing else.
use crate::compliance::{day, ts};
use emc_dashboard::retention::{self, Policy, Verdict};
use emc_sql::rows::{ConnectionLogRow, EventRow, SessionRow};
use emc_sql::scan::{ScanCheckRow, ScanRequestRow, ScanRow};
use emc_sql::Db;
use std::collections::BTreeSet;

const TABLES: [&str; 18] = [
    "events",
    "sessions",
    "connection_log",
    "events_hourly",
    "events_daily",
    "sessions_hourly",
    "sessions_daily",
    "sessions_dims_daily",
    "pages_daily",
    "visitors_daily",
    "compliance_daily",
    "failing_pages_daily",
    "connections_daily",
    "visitors_hourly",
    "exit_visitors_daily",
    "scan_checks",
    "scans",
    "scan_requests",
];

/// Rows at 05:00 UTC (12:00 in Hanoi), so the Hanoi-day rollups land in the same month.
const TIMES: [&str; 5] = [
    "2024-01-15 05:00:00", // old: dropped
    "2025-09-30 05:00:00", // old: dropped
    "2025-10-24 05:00:00", // month 202510 straddles the cutoff (2025-10-25) ...
    "2025-10-25 05:00:00", // ... because of this row: kept
    "2026-06-01 05:00:00", // recent: kept
];

pub async fn load_rows(db: &Db) {
    let mut ev = db.client().insert::<EventRow>("events").await.unwrap();
    let mut se = db.client().insert::<SessionRow>("sessions").await.unwrap();
    let mut cl = db
        .client()
        .insert::<ConnectionLogRow>("connection_log")
        .await
        .unwrap();
    for (i, at) in TIMES.iter().enumerate() {
        let t = ts(at);
        let id = i as u64 + 1;
        ev.write(&EventRow {
            site: "101".into(),
            timestamp: t,
            name: "pageview".into(),
            session_id: id,
            visitor_id: id,
            ..EventRow::default()
        })
        .await
        .unwrap();
        se.write(&SessionRow {
            site: "101".into(),
            session_id: id,
            sign: 1,
            visitor_id: id,
            start: t,
            timestamp: t,
            pageviews: 1,
            events: 1,
            is_bounce: 1,
            ..SessionRow::default()
        })
        .await
        .unwrap();
        cl.write(&ConnectionLogRow {
            received_at: t,
            site: "101".into(),
            status: 202,
            reason: "ok".into(),
            count: 1,
            ..ConnectionLogRow::default()
        })
        .await
        .unwrap();
    }
    ev.end().await.unwrap();
    se.end().await.unwrap();
    cl.end().await.unwrap();
    let mut checks = db
        .client()
        .insert::<ScanCheckRow>("scan_checks")
        .await
        .unwrap();
    let mut scans = db.client().insert::<ScanRow>("scans").await.unwrap();
    let mut requests = db
        .client()
        .insert::<ScanRequestRow>("scan_requests")
        .await
        .unwrap();
    for at in TIMES {
        let t = ts(at);
        let (site, domain) = ("101".to_owned(), "portal.gov.vn".to_owned());
        checks
            .write(&ScanCheckRow {
                site: site.clone(),
                domain: domain.clone(),
                scanned_at: t,
                check: "http".into(),
                outcome: 1,
                ..ScanCheckRow::default()
            })
            .await
            .unwrap();
        scans
            .write(&ScanRow {
                site: site.clone(),
                domain,
                scanned_at: t,
                ..ScanRow::default()
            })
            .await
            .unwrap();
        requests
            .write(&ScanRequestRow {
                site,
                requested_at: t,
                requested_by: "admin".into(),
            })
            .await
            .unwrap();
    }
    checks.end().await.unwrap();
    scans.end().await.unwrap();
    requests.end().await.unwrap();
    // An old audit row: audit_log is not a retention table.
    db.client().query("INSERT INTO audit_log (at, actor, action, target, detail) VALUES (toDateTime('2020-01-01 00:00:00'), 'admin', 'site.add', '101', '')").execute().await.unwrap();
}

async fn partitions(db: &Db) -> BTreeSet<(String, String)> {
    let rows: Vec<(String, String)> = db
        .client()
        .query("SELECT DISTINCT table, partition_id FROM system.parts WHERE active AND database = currentDatabase()")
        .fetch_all()
        .await
        .unwrap();
    rows.into_iter().collect()
}

fn set(tables: &[&str], ids: &[&str]) -> BTreeSet<(String, String)> {
    tables
        .iter()
        .flat_map(|t| ids.iter().map(move |i| (t.to_string(), i.to_string())))
        .collect()
}

#[tokio::test]
async fn drops_exactly_the_expired_partitions_of_raw_and_rollup_tables() {
    let db = emc_sql::testing::test_db("retention_run").await;
    load_rows(&db).await;
    let before = partitions(&db).await;
    for t in TABLES {
        for id in ["202401", "202509", "202510", "202606"] {
            assert!(
                before.contains(&(t.to_owned(), id.to_owned())),
                "{t} {id} missing before the run: {before:?}"
            );
        }
    }
    // Every table the migrations fill with monthly partitions is one retention manages (the
    // audit log, kept for good, aside): a new rollup left out of the lists would keep its
    // rows forever, and the Circular's retention policy would be broken without a sound.
    let managed: BTreeSet<&str> = retention::RAW_TABLES
        .iter()
        .chain(retention::ROLLUP_TABLES.iter())
        .copied()
        .collect();
    let monthly = |id: &str| id.len() == 6 && id.bytes().all(|b| b.is_ascii_digit());
    for (table, id) in &before {
        if table != "audit_log" && monthly(id) {
            assert!(managed.contains(table.as_str()), "{table} has monthly partition {id} but retention does not manage it: add it to RAW_TABLES or ROLLUP_TABLES");
        }
    }
    let today = day("2026-11-25");
    let policy = Policy::default();
    let expected = set(&TABLES, &["202401", "202509"]);

    // Dry run: the same decisions, nothing dropped, nothing audited.
    let dry = retention::run(&db, &policy, today, true).await.unwrap();
    let planned: BTreeSet<(String, String)> = dry
        .dropped
        .iter()
        .map(|p| (p.table.clone(), p.partition_id.clone()))
        .collect();
    assert_eq!(planned, expected);
    assert_eq!(partitions(&db).await, before);
    let text = dry.to_string();
    assert!(
        text.contains("would drop events partition 202401: 1 rows, 2024-01-15 to 2024-01-15"),
        "{text}"
    );
    assert!(
        text.contains("would drop sessions_daily partition 202509"),
        "{text}"
    );
    assert!(text.contains("would drop 36 partitions;"), "{text}");
    let straddle = dry
        .decisions
        .iter()
        .find(|d| d.partition.table == "events" && d.partition.partition_id == "202510")
        .unwrap();
    assert_eq!(straddle.verdict, Verdict::KeepWithinPolicy);
    assert_eq!(straddle.partition.newest, Some(day("2025-10-25")));
    let daily = dry
        .decisions
        .iter()
        .find(|d| d.partition.table == "events_daily" && d.partition.partition_id == "202510")
        .unwrap();
    assert_eq!(
        (daily.partition.oldest, daily.partition.newest),
        (Some(day("2025-10-24")), Some(day("2025-10-25"))),
        "Date-keyed rollup"
    );

    // The real run.
    let report = retention::run(&db, &policy, today, false).await.unwrap();
    let dropped: BTreeSet<(String, String)> = report
        .dropped
        .iter()
        .map(|p| (p.table.clone(), p.partition_id.clone()))
        .collect();
    assert_eq!(dropped, expected);
    let after = partitions(&db).await;
    assert!(
        after.contains(&("audit_log".to_owned(), "202001".to_owned())),
        "the old audit row stays"
    );
    // The audit rows just written open this month's audit_log partition; nothing else changed.
    let data = |s: &BTreeSet<(String, String)>| {
        s.iter()
            .filter(|(t, _)| t != "audit_log")
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        data(&after),
        data(&before)
            .difference(&expected)
            .cloned()
            .collect::<BTreeSet<_>>()
    );
    assert!(
        report
            .to_string()
            .contains("dropped connection_log partition 202509"),
        "{report}"
    );

    // The rows left are exactly those of the kept months.
    let n: u64 = db
        .client()
        .query("SELECT count() FROM events")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(n, 3);
    let visits: i64 = db
        .client()
        .query("SELECT toInt64(sum(visits)) FROM sessions_daily")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(visits, 3);

    // Each drop is audited.
    let audited: Vec<(String, String)> = db
        .client()
        .query("SELECT actor, target FROM audit_log WHERE action = ? ORDER BY target")
        .bind(retention::AUDIT_ACTION)
        .fetch_all()
        .await
        .unwrap();
    let targets: BTreeSet<String> = audited.iter().map(|(_, t)| t.clone()).collect();
    assert_eq!(audited.len(), expected.len());
    assert!(audited.iter().all(|(a, _)| a == retention::AUDIT_ACTOR));
    assert_eq!(
        targets,
        expected
            .iter()
            .map(|(t, i)| format!("{t}/{i}"))
            .collect::<BTreeSet<_>>()
    );

    // A second run finds nothing more to drop.
    let again = retention::run(&db, &policy, today, false).await.unwrap();
    assert!(again.dropped.is_empty());
    assert!(again.to_string().contains("nothing to drop"), "{again}");
}

#[tokio::test]
async fn a_short_policy_is_refused_before_touching_anything() {
    let db = emc_sql::testing::test_db("retention_refused").await;
    load_rows(&db).await;
    let before = partitions(&db).await;
    let err = Policy::new(6).unwrap_err();
    assert!(err.to_string().contains("at least 12 months"), "{err}");
    let bypassed = Policy {
        months: 6,
        rollup_months: 6,
    };
    let err = retention::run(&db, &bypassed, day("2026-11-25"), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("6 months refused"), "{err}");
    assert_eq!(partitions(&db).await, before);
}
