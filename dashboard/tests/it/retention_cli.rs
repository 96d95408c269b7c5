//! `emc-dashboard retention` driven as the real binary: `--dry-run --today` prints the planned
//! drops and drops nothing; a policy under 12 months is refused with a clear message before
//! anything runs; a real run is audited and shown on `/admin/retention` (admins only).
use crate::retention::load_rows;
use crate::support::*;
use emc_sql::Db;
use std::process::{Command, Output};

fn cli(db: &Db, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_emc-dashboard"));
    cmd.args([
        "--clickhouse-url",
        db.url(),
        "--clickhouse-db",
        db.database(),
    ])
    .args(args);
    for v in [
        "EMC_RETENTION_MONTHS",
        "EMC_ROLLUP_RETENTION_MONTHS",
        "EMC_CLICKHOUSE_CLUSTER",
        "EMC_TIMEZONE",
    ] {
        cmd.env_remove(v);
    }
    cmd.envs(env.iter().copied());
    cmd.output().expect("running emc-dashboard")
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

async fn count(db: &Db, sql: &str) -> u64 {
    db.client().query(sql).fetch_one::<u64>().await.unwrap()
}

#[tokio::test]
async fn retention_cli_dry_run_refusal_and_the_admin_page() {
    let db = emc_sql::testing::test_db("retention_cli").await;
    load_rows(&db).await;
    let events = "SELECT count() FROM events";

    let o = cli(
        &db,
        &["retention", "--dry-run", "--today", "2026-11-25"],
        &[],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("retention on 2026-11-25 (dry run): raw tables keep 13 months"),
        "{out}"
    );
    assert!(
        out.contains("would drop events partition 202401: 1 rows, 2024-01-15 to 2024-01-15"),
        "{out}"
    );
    assert!(
        out.contains("would drop connection_log partition 202509"),
        "{out}"
    );
    assert!(out.contains("would drop 36 partitions;"), "{out}");
    assert_eq!(count(&db, events).await, 5, "a dry run drops nothing");

    // Refused policies: a clear message, non-zero exit, nothing dropped.
    for (args, env, months) in [
        (
            vec!["retention", "--today", "2026-11-25"],
            vec![("EMC_RETENTION_MONTHS", "6")],
            "6",
        ),
        (
            vec!["retention", "--rollup-retention-months", "11"],
            vec![],
            "11",
        ),
    ] {
        let o = cli(&db, &args, &env);
        let (out, err) = text(&o);
        assert!(!o.status.success(), "{out}");
        assert!(
            err.contains(&format!(
                "retention of {months} months refused: keep at least 12 months"
            )),
            "{err}"
        );
    }
    assert_eq!(count(&db, events).await, 5);

    // A real run with a longer rollup policy: raw partitions dropped, the rollups kept.
    let o = cli(
        &db,
        &["retention", "--today", "2026-11-25"],
        &[("EMC_ROLLUP_RETENTION_MONTHS", "36")],
    );
    let (out, err) = text(&o);
    assert!(o.status.success(), "{out}\n{err}");
    assert!(
        out.contains("dropped events partition 202401") && out.contains("dropped 12 partitions;"),
        "{out}"
    );
    assert_eq!(count(&db, events).await, 3);
    assert_eq!(count(&db, "SELECT count() FROM audit_log WHERE action = 'retention.run' AND target = '2026-11-25'").await, 1);

    // The admin page: policy, oldest partition per table, the last run.
    agency(&db, "bo-a", emc_sql::registry::AgencyGroup::Ministry, None).await;
    user(&db, "admin", "admin", &[]).await;
    user(&db, "an", "analyst", &["bo-a"]).await;
    let router = dashboard(&db);
    let (cookie, _) = browser_login(&router, "admin").await;
    let page = get_page(&router, "/admin/retention", &cookie).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("13 tháng"), "policy");
    assert!(
        page.body.contains("202510 (2025-10-24)"),
        "oldest events partition: {}",
        page.body
    );
    assert!(
        page.body.contains("202401"),
        "rollups still hold 202401 (36 months)"
    );
    assert!(
        page.body.contains("retention.run") && page.body.contains("dropped=12"),
        "{}",
        page.body
    );
    let (an_cookie, _) = browser_login(&router, "an").await;
    assert_eq!(
        get_page(&router, "/admin/retention", &an_cookie)
            .await
            .status,
        403
    );
    assert_eq!(
        get_page(&router, "/admin/retention", "emc_session=nope")
            .await
            .status,
        303
    );
}
