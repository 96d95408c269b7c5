//! `make demo` at a small scale: the demo agency and its three sites registered, exactly the
//! events asked for in ClickHouse, a second run doing nothing, and `--remove` leaving no row
//! of the demo in any table while another agency's rows stay as they were.
use emc_dashboard::notes_cli::{self, AnnotationCommand, GoalCommand, Owner};
use emc_loadtest::cli::{DbArgs, DemoArgs, SeedArgs, TrafficArgs};
use emc_loadtest::demo::{self, Outcome};

fn goal(site: Option<&str>, agency: Option<&str>) -> GoalCommand {
    GoalCommand::Add {
        owner: Owner {
            site: site.map(Into::into),
            agency: agency.map(Into::into),
        },
        name: "Tải tài liệu".into(),
        event: Some("download".into()),
        page: None,
    }
}

/// (goals, annotations) rows of the demo: its agency's or its sites'.
async fn demo_notes(db: &emc_sql::Db) -> (u64, u64) {
    db.client()
        .query(
            "SELECT (SELECT count() FROM goals WHERE agency = 'demo-data' OR site LIKE 'demo-data-%'), \
             (SELECT count() FROM annotations WHERE agency = 'demo-data' OR site LIKE 'demo-data-%')",
        )
        .fetch_one()
        .await
        .unwrap()
}

fn db_args(db: &emc_sql::Db, dir: &std::path::Path) -> DbArgs {
    DbArgs {
        clickhouse_url: Some(db.url().into()),
        clickhouse_db: db.database().into(),
        data_dir: dir.into(),
        timezone: "Asia/Ho_Chi_Minh".into(),
    }
}

/// Rows per table (every MergeTree table with a `site` column) for sites matching `like`.
async fn rows_by_table(db: &emc_sql::Db, like: &str) -> Vec<(String, u64)> {
    let tables: Vec<String> = db
        .client()
        .query(
            "SELECT table FROM system.columns WHERE database = ? AND name = 'site' \
             AND table IN (SELECT name FROM system.tables WHERE database = ? AND engine LIKE '%MergeTree%') ORDER BY table",
        )
        .bind(db.database())
        .bind(db.database())
        .fetch_all()
        .await
        .unwrap();
    let mut out = Vec::new();
    for t in tables {
        let n: u64 = db
            .client()
            .query(&format!("SELECT count() FROM `{t}` WHERE site LIKE ?"))
            .bind(like)
            .fetch_one()
            .await
            .unwrap();
        out.push((t, n));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_is_seeded_once_and_removed_without_touching_other_sites() {
    let tdb = emc_sql::testing::test_db("loadtest_demo").await;
    let dir = tempfile::tempdir().unwrap();
    // Another agency's traffic, which the removal must leave alone.
    let other = SeedArgs {
        events: 1500,
        days: 2,
        end: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        traffic: TrafficArgs {
            sites: 2,
            site_prefix: "other".into(),
            visitors: 200,
            bounce_rate: 0.55,
            engagement_rate: 0.6,
            seed: Some(3),
            session_timeout: 1800,
        },
        db: db_args(&tdb, dir.path()),
        geoip_db: vec![],
        workers: Some(2),
        batch_rows: 1000,
        no_verify: true,
        json_out: dir.path().join("other.json"),
        quiet: true,
    };
    emc_loadtest::seed::seed(&other).await.unwrap();
    let args = DemoArgs {
        remove: false,
        reseed: false,
        events: 3000,
        days: 5,
        end: chrono::NaiveDate::from_ymd_opt(2026, 3, 2),
        db: db_args(&tdb, dir.path()),
        geoip_db: vec![],
        quiet: true,
    };
    assert_eq!(
        demo::run(&args).await.unwrap(),
        Outcome::Seeded { events: 3000 }
    );
    let db = &tdb;
    let agencies = emc_sql::registry::list_agencies(db).await.unwrap();
    let agency = agencies.iter().find(|a| a.id == "demo-data").unwrap();
    assert_eq!(
        (agency.name.as_str(), agency.group_kind.as_str()),
        ("Demo — dữ liệu mẫu", "ministry")
    );
    let sites = emc_sql::registry::list_sites(db).await.unwrap();
    let mut shape: Vec<(String, String, String)> = sites
        .iter()
        .filter(|s| s.agency == "demo-data")
        .map(|s| (s.code.clone(), s.kind.clone(), s.parent.clone()))
        .collect();
    shape.sort();
    let p = "demo-data-001".to_owned();
    assert_eq!(
        shape,
        vec![
            (p.clone(), "portal".into(), String::new()),
            ("demo-data-002".into(), "component".into(), p.clone()),
            ("demo-data-003".into(), "component".into(), p.clone()),
        ]
    );
    let (demo_events, days): (u64, u64) = db
        .client()
        .query("SELECT count(), uniqExact(toDate(timestamp, 'UTC')) FROM events WHERE site LIKE 'demo-data-%'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(demo_events, 3000);
    assert!(days >= 5, "spread over the days: {days}");
    // The script's goal (the agency's) and annotation (the portal's), plus another site's goal.
    notes_cli::goal(db, goal(None, Some("demo-data")))
        .await
        .unwrap();
    notes_cli::goal(db, goal(Some("demo-data-002"), None))
        .await
        .unwrap();
    notes_cli::annotation(
        db,
        AnnotationCommand::Add {
            owner: Owner {
                site: Some("demo-data-001".into()),
                agency: None,
            },
            date: "2026-02-28".into(),
            end: None,
            text: "Ra mắt giao diện mới".into(),
        },
    )
    .await
    .unwrap();
    notes_cli::goal(db, goal(Some("other-001"), None))
        .await
        .unwrap();
    assert_eq!(demo_notes(db).await, (2, 1));
    let others_before = rows_by_table(db, "other-%").await;
    assert!(others_before.iter().any(|(t, n)| t == "goals" && *n == 1));
    assert!(others_before
        .iter()
        .any(|(t, n)| t == "events" && *n == 1500));
    assert!(rows_by_table(db, "demo-data-%")
        .await
        .iter()
        .any(|(t, n)| t == "sessions_daily" && *n > 0));

    // Once: a second run does nothing.
    assert_eq!(demo::run(&args).await.unwrap(), Outcome::AlreadyThere);
    let again: u64 = db
        .client()
        .query("SELECT count() FROM events WHERE site LIKE 'demo-data-%'")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(again, 3000);

    let remove = DemoArgs {
        remove: true,
        ..args.clone()
    };
    assert_eq!(
        demo::run(&remove).await.unwrap(),
        Outcome::Removed {
            sites: vec![p, "demo-data-002".into(), "demo-data-003".into()]
        }
    );
    let left: Vec<(String, u64)> = rows_by_table(db, "demo-data-%")
        .await
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect();
    assert!(left.is_empty(), "demo rows left: {left:?}");
    let registry_left: (u64, u64) = db
        .client()
        .query("SELECT (SELECT count() FROM agencies WHERE id = 'demo-data'), (SELECT count() FROM sites WHERE agency = 'demo-data')")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(registry_left, (0, 0));
    assert_eq!(demo_notes(db).await, (0, 0));
    assert_eq!(rows_by_table(db, "other-%").await, others_before);
    assert_eq!(demo::run(&remove).await.unwrap(), Outcome::NothingToRemove);
}
