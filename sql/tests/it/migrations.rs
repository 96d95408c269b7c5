use emc_sql::migrate::{self, MigrateOptions, MIGRATIONS};
use emc_sql::testing::test_db;

#[derive(clickhouse::Row, serde::Deserialize)]
struct Name {
    name: String,
}

#[tokio::test]
async fn applying_twice_changes_nothing() {
    let db = test_db("migrations_twice").await;
    let tables_before: Vec<Name> = db
        .client()
        .query("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
        .fetch_all()
        .await
        .unwrap();
    let again = migrate::apply(db.client(), &MigrateOptions::default(), db.database())
        .await
        .unwrap();
    assert!(
        again.applied.is_empty(),
        "second run applied {:?}",
        again.applied
    );
    assert_eq!(again.already.len(), MIGRATIONS.len());
    let tables_after: Vec<Name> = db
        .client()
        .query("SELECT name FROM system.tables WHERE database = currentDatabase() ORDER BY name")
        .fetch_all()
        .await
        .unwrap();
    let names = |v: &[Name]| v.iter().map(|n| n.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&tables_before), names(&tables_after));
    for want in [
        "events",
        "sessions",
        "connection_log",
        "events_hourly",
        "events_daily",
        "sessions_hourly",
        "sessions_daily",
        "sites",
        "agencies",
        "users",
        "api_tokens",
        "audit_log",
        "schema_migrations",
    ] {
        assert!(
            names(&tables_after).iter().any(|n| n == want),
            "missing table {want}"
        );
    }
    let recorded: u64 = db
        .client()
        .query("SELECT count() FROM schema_migrations FINAL")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(recorded as usize, MIGRATIONS.len());
}

#[tokio::test]
async fn two_runners_at_once_both_succeed() {
    let db = test_db("migrations_race").await;
    db.client()
        .query("DROP TABLE schema_migrations")
        .execute()
        .await
        .unwrap();
    let opts = MigrateOptions::default();
    let (a, b) = tokio::join!(
        migrate::apply(db.client(), &opts, db.database()),
        migrate::apply(db.client(), &opts, db.database()),
    );
    a.unwrap();
    b.unwrap();
    let recorded: u64 = db
        .client()
        .query("SELECT count() FROM schema_migrations FINAL")
        .fetch_one()
        .await
        .unwrap();
    assert_eq!(recorded as usize, MIGRATIONS.len());
}

#[tokio::test]
async fn an_edited_migration_is_refused() {
    let db = test_db("migrations_edited").await;
    db.client()
        .query("INSERT INTO schema_migrations VALUES (1, 'events', 'not-the-checksum', now())")
        .execute()
        .await
        .unwrap();
    let err = migrate::apply(db.client(), &MigrateOptions::default(), db.database())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("forward-only"), "{err}");
}

#[tokio::test]
async fn rollups_follow_sign_weighted_sessions() {
    let db = test_db("migrations_rollups").await;
    // Session 1 goes from one page view (a bounce) to two; session 2 stays a bounce.
    db.client()
        .query(
            "INSERT INTO sessions (site, session_id, sign, visitor_id, start, timestamp, pageviews, duration, is_bounce, source) VALUES \
             ('s', 1, 1, 10, toDateTime('2026-01-02 03:00:00'), toDateTime('2026-01-02 03:00:00'), 1, 0, 1, 'direct'), \
             ('s', 1, -1, 10, toDateTime('2026-01-02 03:00:00'), toDateTime('2026-01-02 03:00:00'), 1, 0, 1, 'direct'), \
             ('s', 1, 1, 10, toDateTime('2026-01-02 03:00:00'), toDateTime('2026-01-02 03:05:00'), 2, 300, 0, 'direct'), \
             ('s', 2, 1, 11, toDateTime('2026-01-02 03:10:00'), toDateTime('2026-01-02 03:10:00'), 1, 0, 1, 'organic')",
        )
        .execute()
        .await
        .unwrap();
    let (visits, bounces, duration): (i64, i64, i64) = db
        .client()
        .query(
            "SELECT sum(visits), sum(bounces), sum(duration) FROM sessions_daily WHERE site = 's'",
        )
        .fetch_one()
        .await
        .unwrap();
    assert_eq!((visits, bounces, duration), (2, 1, 300));
}
