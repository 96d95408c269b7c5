//! Retention decisions, table-driven with a fixed clock.
use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn part(table: &str, id: &str, oldest: &str, newest: &str) -> Partition {
    Partition {
        table: table.into(),
        partition_id: id.into(),
        rows: 10,
        oldest: Some(d(oldest)),
        newest: Some(d(newest)),
    }
}

fn verdict(today: &str, policy: Policy, p: Partition) -> Verdict {
    decide(d(today), &[p], &policy)[0].verdict
}

const P13: Policy = Policy {
    months: 13,
    rollup_months: 13,
};
const P12: Policy = Policy {
    months: 12,
    rollup_months: 12,
};

#[test]
fn monthly_partitions_against_the_policy() {
    use Verdict::*;
    // today 2026-11-25, 13 months: rows before 2025-10-25 may go.
    let cases: &[(&str, Policy, &str, &str, &str, &str, Verdict)] = &[
        (
            "2026-11-25",
            P13,
            "events",
            "202401",
            "2024-01-01",
            "2024-01-31",
            Drop,
        ),
        (
            "2026-11-25",
            P13,
            "events",
            "202509",
            "2025-09-01",
            "2025-09-30",
            Drop,
        ),
        (
            "2026-11-25",
            P13,
            "events",
            "202510",
            "2025-10-01",
            "2025-10-24",
            Drop,
        ),
        // straddles the policy cutoff: its newest row is on the cutoff day or later
        (
            "2026-11-25",
            P13,
            "events",
            "202510",
            "2025-10-01",
            "2025-10-25",
            KeepWithinPolicy,
        ),
        (
            "2026-11-25",
            P13,
            "sessions",
            "202510",
            "2025-10-01",
            "2025-10-31",
            KeepWithinPolicy,
        ),
        (
            "2026-11-25",
            P13,
            "events",
            "202512",
            "2025-12-01",
            "2025-12-31",
            KeepYoungerThan365Days,
        ),
        (
            "2026-11-25",
            P13,
            "events_daily",
            "202409",
            "2024-09-01",
            "2024-09-30",
            Drop,
        ),
        (
            "2026-11-25",
            P13,
            "sessions_hourly",
            "202511",
            "2025-11-01",
            "2025-11-30",
            KeepYoungerThan365Days,
        ),
        // 12 months: the cutoff is the 365-day boundary (2025-11-25 = today − 365 days)
        (
            "2026-11-25",
            P12,
            "connection_log",
            "202511",
            "2025-11-01",
            "2025-11-24",
            Drop,
        ),
        (
            "2026-11-25",
            P12,
            "connection_log",
            "202511",
            "2025-11-01",
            "2025-11-25",
            KeepYoungerThan365Days,
        ),
        (
            "2026-11-25",
            P12,
            "connection_log",
            "202510",
            "2025-10-01",
            "2025-10-31",
            Drop,
        ),
        // across a 29 February: 12 months back is 366 days back
        (
            "2024-03-01",
            P12,
            "events",
            "202302",
            "2023-02-01",
            "2023-02-28",
            Drop,
        ),
        (
            "2024-03-01",
            P12,
            "events",
            "202303",
            "2023-03-01",
            "2023-03-01",
            KeepWithinPolicy,
        ),
        (
            "2024-03-01",
            P12,
            "events",
            "202303",
            "2023-03-01",
            "2023-03-02",
            KeepYoungerThan365Days,
        ),
        // month-end clamping: 2026-03-31 − 13 months = 2025-02-28
        (
            "2026-03-31",
            P13,
            "events",
            "202502",
            "2025-02-01",
            "2025-02-27",
            Drop,
        ),
        (
            "2026-03-31",
            P13,
            "events",
            "202502",
            "2025-02-01",
            "2025-02-28",
            KeepWithinPolicy,
        ),
    ];
    for (today, policy, table, id, oldest, newest, want) in cases {
        assert_eq!(
            verdict(today, *policy, part(table, id, oldest, newest)),
            *want,
            "{today} {policy:?} {table} {id} newest {newest}"
        );
    }
}

#[test]
fn rollups_follow_their_own_policy() {
    let policy = Policy::with_rollups(13, 36).unwrap();
    let today = "2026-11-25";
    assert_eq!(
        verdict(
            today,
            policy,
            part("events", "202401", "2024-01-01", "2024-01-31")
        ),
        Verdict::Drop
    );
    assert_eq!(
        verdict(
            today,
            policy,
            part("events_daily", "202401", "2024-01-01", "2024-01-31")
        ),
        Verdict::KeepWithinPolicy
    );
    assert_eq!(
        verdict(
            today,
            policy,
            part("sessions_daily", "202310", "2023-10-01", "2023-10-31")
        ),
        Verdict::Drop
    );
}

#[test]
fn nothing_younger_than_365_days_is_dropped_even_under_a_bad_policy() {
    // A policy that bypassed the constructor still cannot drop a row younger than 365 days.
    let bad = Policy {
        months: 1,
        rollup_months: 1,
    };
    let today = "2026-11-25";
    for table in RAW_TABLES.iter().chain(ROLLUP_TABLES.iter()) {
        assert_eq!(
            verdict(
                today,
                bad,
                part(table, "202511", "2025-11-01", "2025-11-25")
            ),
            Verdict::KeepYoungerThan365Days,
            "{table}"
        );
        assert_eq!(
            verdict(
                today,
                bad,
                part(table, "202606", "2026-06-01", "2026-06-30")
            ),
            Verdict::KeepYoungerThan365Days,
            "{table}"
        );
        assert_eq!(
            verdict(
                today,
                bad,
                part(table, "202511", "2025-11-01", "2025-11-24")
            ),
            Verdict::Drop,
            "{table}"
        );
    }
    assert_eq!(cutoff(d(today), 1), d("2025-11-25"));
}

#[test]
fn unexpected_partitions_are_kept() {
    let today = "2026-11-25";
    let old =
        |table: &str, id: &str| verdict(today, P13, part(table, id, "2020-01-01", "2020-01-31"));
    assert_eq!(old("audit_log", "202001"), Verdict::KeepUnmanagedTable);
    assert_eq!(old("sites", "tuple()"), Verdict::KeepUnmanagedTable);
    assert_eq!(old("events", "all"), Verdict::KeepNotMonthly);
    assert_eq!(old("events", "20200101"), Verdict::KeepNotMonthly);
    assert_eq!(old("events", "202013"), Verdict::KeepNotMonthly);
    let undated = Partition {
        table: "events".into(),
        partition_id: "202001".into(),
        rows: 1,
        oldest: None,
        newest: None,
    };
    assert_eq!(verdict(today, P13, undated), Verdict::KeepNotMonthly);
}

#[test]
fn policies_under_twelve_months_are_refused() {
    assert_eq!(Policy::default(), P13);
    assert_eq!(Policy::new(12), Ok(P12));
    assert_eq!(Policy::new(11), Err(PolicyError::TooShort(11)));
    assert_eq!(Policy::new(0), Err(PolicyError::TooShort(0)));
    assert_eq!(Policy::with_rollups(13, 6), Err(PolicyError::TooShort(6)));
    assert_eq!(Policy::from_config(None, None), Ok(P13));
    assert_eq!(
        Policy::from_config(Some(24), None),
        Ok(Policy {
            months: 24,
            rollup_months: 24
        })
    );
    let msg = Policy::new(11).unwrap_err().to_string();
    assert!(
        msg.contains("11 months refused") && msg.contains("at least 12 months"),
        "{msg}"
    );
}

#[test]
fn decisions_keep_input_order_and_report_the_cutoff() {
    let parts = [
        part("events", "202401", "2024-01-01", "2024-01-31"),
        part("audit_log", "202401", "2024-01-01", "2024-01-31"),
    ];
    let out = decide(d("2026-11-25"), &parts, &P13);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].cutoff, Some(d("2025-10-25")));
    assert_eq!(out[1].cutoff, None);
    assert_eq!(out[1].partition.table, "audit_log");
}
