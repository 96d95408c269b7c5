//! The rules and the open/resolve step with a fixed clock: expected findings are written from
//! the rule's definition (the module table in `rules.rs`), not read from the code's output.
use super::detect::{self, Finding, ScanResult, SettingsTable, Traffic};
use super::rules::{Override, Rule, COOLDOWN_SECS};
use super::state::{plan, AlertRow, Send};
use crate::health::Rejections;
use emc_sql::registry::SiteRow;
use std::collections::BTreeMap;

const NOW: u32 = 1_765_000_000;

fn site(code: &str, created_at: u32) -> SiteRow {
    SiteRow {
        code: code.into(),
        name: format!("Cổng {code}"),
        created_at,
        ..SiteRow::default()
    }
}

fn table() -> SettingsTable {
    SettingsTable {
        silence_secs: 3_600,
        overrides: BTreeMap::new(),
    }
}

fn sites_of(f: &[Finding], rule: Rule) -> Vec<String> {
    f.iter()
        .filter(|x| x.rule == rule)
        .map(|x| x.site.clone())
        .collect()
}

#[test]
fn silent_after_the_threshold_and_never_seen_after_registration() {
    let sites = [
        site("1", NOW - 100_000),
        site("2", NOW - 100_000),
        site("3", NOW - 100_000),
        site("4", NOW - 600),
        site("5", NOW - 100_000),
    ];
    let seen: BTreeMap<String, u32> = [("1", NOW - 3_600), ("2", NOW - 3_601)]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    let mut st = table();
    // Site 5 has its own, longer threshold.
    st.overrides.insert(
        ("5".into(), Rule::Silent),
        Override {
            threshold: Some(200_000.0),
            ..Override::default()
        },
    );
    let f = detect::silent(&sites, &seen, NOW, &st);
    // 1: exactly the threshold is not silent; 2: one second over; 3: never seen, registered
    // long ago; 4: never seen but registered 10 minutes ago; 5: under its override.
    assert_eq!(sites_of(&f, Rule::Silent), ["2", "3"]);
    assert!(f[0].detail.contains("1 h 0 min"), "{}", f[0].detail);
}

#[test]
fn broken_tag_over_20_percent_with_reasons_above_the_floor() {
    let sites = [site("227", 0), site("300", 0), site("400", 0)];
    let r = |site: &str, requests: u64, rejected: u64, reasons: &[(&str, u64)]| Rejections {
        site: site.into(),
        requests,
        rejected,
        share: Some(rejected as f64 / requests as f64),
        reasons: reasons.iter().map(|(a, n)| (a.to_string(), *n)).collect(),
    };
    let hour = [
        r("227", 100, 21, &[("hostname_mismatch", 21)]),
        r("300", 100, 20, &[("malformed", 20)]),
        r("400", 10, 9, &[("hostname_mismatch", 9)]),
        r("999", 100, 100, &[("unknown_site", 100)]),
    ];
    let f = detect::broken_tag(&sites, &hour, &table());
    // 300 is exactly 20 % (not over); 400 is under the 20-request floor; 999 is not registered.
    assert_eq!(sites_of(&f, Rule::BrokenTag), ["227"]);
    assert!(
        f[0].detail.contains("hostname_mismatch 21"),
        "{}",
        f[0].detail
    );
    assert!(f[0].detail.contains("21 %"), "{}", f[0].detail);
}

#[test]
fn traffic_drop_and_spike_against_the_weekday_median() {
    let sites = [
        site("a", 0),
        site("b", 0),
        site("c", 0),
        site("d", 0),
        site("e", 0),
    ];
    let t = |s: &str, today: u64, weeks: [u64; 4]| Traffic {
        site: s.into(),
        today,
        weeks,
    };
    let rows = [
        // median (100+120)/2 = 110; drop below 55.
        t("a", 54, [100, 120, 90, 300]),
        t("b", 55, [100, 120, 90, 300]),
        // median 40 is under the floor of 50: no drop.
        t("c", 0, [40, 40, 40, 40]),
        // spike above 3 × 100 = 300.
        t("d", 301, [100, 100, 100, 100]),
        // 300 exactly is not above.
        t("e", 300, [100, 100, 100, 100]),
    ];
    assert_eq!(detect::median4([100, 120, 90, 300]), 110.0);
    let f = detect::traffic(&sites, &rows, &table());
    assert_eq!(sites_of(&f, Rule::TrafficDrop), ["a"]);
    assert_eq!(sites_of(&f, Rule::TrafficSpike), ["d"]);
}

fn scan(site: &str, domain: &str, check: &str, outcome: &str, value: &str, at: u32) -> ScanResult {
    ScanResult {
        site: site.into(),
        domain: domain.into(),
        check: check.into(),
        outcome: outcome.into(),
        value: value.into(),
        scanned_at: at,
    }
}

#[test]
fn scanner_rules_down_tls_and_compliance() {
    let sites = [site("1", 0), site("2", 0), site("3", 0)];
    let day = 86_400;
    let rows = vec![
        // 1: two failed http scans in a row → down; one failure only on 2 → not yet.
        scan("1", "a.gov.vn", "http", "fail", "503", NOW),
        scan("1", "a.gov.vn", "http", "error", "timeout", NOW - day),
        scan("1", "a.gov.vn", "http", "pass", "200", NOW - 2 * day),
        scan("2", "b.gov.vn", "http", "fail", "503", NOW),
        scan("2", "b.gov.vn", "http", "pass", "200", NOW - day),
        // certificates: 14 days is within, 15 is not (the newest value counts).
        scan("1", "a.gov.vn", "tls_expiry_days", "pass", "14", NOW),
        scan("2", "b.gov.vn", "tls_expiry_days", "pass", "15", NOW),
        scan("2", "b.gov.vn", "tls_expiry_days", "fail", "3", NOW - day),
        // compliance: 3's hsts passed, then failed twice (error between) → regression;
        // 3's dc_complete always failed → not a regression; 2's a11y failed then passed → fine.
        scan("3", "c.gov.vn", "hsts", "fail", "", NOW),
        scan("3", "c.gov.vn", "hsts", "error", "", NOW - day),
        scan("3", "c.gov.vn", "hsts", "fail", "", NOW - 2 * day),
        scan("3", "c.gov.vn", "hsts", "pass", "", NOW - 3 * day),
        scan("3", "c.gov.vn", "dc_complete", "fail", "", NOW),
        scan("3", "c.gov.vn", "dc_complete", "fail", "", NOW - day),
        scan("2", "b.gov.vn", "a11y", "pass", "", NOW),
        scan("2", "b.gov.vn", "a11y", "fail", "", NOW - day),
        // an unregistered site is ignored.
        scan("9", "x.gov.vn", "http", "fail", "", NOW),
        scan("9", "x.gov.vn", "http", "fail", "", NOW - day),
    ];
    let f = detect::scans(&sites, &rows, &table());
    assert_eq!(sites_of(&f, Rule::Down), ["1"]);
    assert_eq!(sites_of(&f, Rule::TlsExpiry), ["1"]);
    assert_eq!(sites_of(&f, Rule::Compliance), ["3"]);
    let compliance = f.iter().find(|x| x.rule == Rule::Compliance).unwrap();
    assert!(
        compliance.detail.contains("hsts (c.gov.vn)"),
        "{}",
        compliance.detail
    );
    assert!(
        !compliance.detail.contains("dc_complete"),
        "{}",
        compliance.detail
    );
    // Three failures needed on site 1 by override: not down any more.
    let mut st = table();
    st.overrides.insert(
        ("1".into(), Rule::Down),
        Override {
            threshold: Some(3.0),
            ..Override::default()
        },
    );
    assert!(sites_of(&detect::scans(&sites, &rows, &st), Rule::Down).is_empty());
}

fn finding(rule: Rule, site: &str) -> Finding {
    Finding {
        rule,
        site: site.into(),
        detail: format!("{} on {site}", rule.key()),
    }
}

/// Runs `plan` and applies its changes to `open` and `last`, as the store would.
fn step(
    now: u32,
    observed: Vec<(Rule, Option<Vec<Finding>>)>,
    open: &mut Vec<AlertRow>,
    last: &mut BTreeMap<(String, String), u32>,
) -> Vec<(String, Send)> {
    let mut n = 0;
    let changes = plan(
        now,
        &observed,
        open,
        last,
        |_, _| COOLDOWN_SECS,
        || {
            n += 1;
            format!("id-{now}-{n}")
        },
    );
    for c in &changes {
        open.retain(|a| a.id != c.row.id);
        if c.row.is_open() {
            open.push(c.row.clone());
        }
        if c.send == Send::Opened {
            last.insert((c.row.rule.clone(), c.row.site.clone()), now);
        }
    }
    changes
        .iter()
        .map(|c| (c.row.site.clone(), c.send))
        .collect()
}

#[test]
fn open_dedupe_cooldown_recovery() {
    let mut open = vec![];
    let mut last = BTreeMap::new();
    let silent = |sites: &[&str]| {
        vec![(
            Rule::Silent,
            Some(sites.iter().map(|s| finding(Rule::Silent, s)).collect()),
        )]
    };
    let t0 = NOW;
    // Opens and announces.
    assert_eq!(
        step(t0, silent(&["227"]), &mut open, &mut last),
        [("227".into(), Send::Opened)]
    );
    // Still silent five minutes later: deduplicated, nothing new.
    assert!(step(t0 + 300, silent(&["227"]), &mut open, &mut last).is_empty());
    assert_eq!(open.len(), 1);
    // Facts unreadable: nothing resolves.
    assert!(step(t0 + 600, vec![(Rule::Silent, None)], &mut open, &mut last).is_empty());
    // Heard again: resolved with a recovery message.
    assert_eq!(
        step(t0 + 900, silent(&[]), &mut open, &mut last),
        [("227".into(), Send::Recovered)]
    );
    assert!(open.is_empty());
    // Silent again within 12 h of the opening message: opened, but not announced.
    assert_eq!(
        step(t0 + 3_600, silent(&["227"]), &mut open, &mut last),
        [("227".into(), Send::Nothing)]
    );
    assert_eq!(open[0].notified_at, 0);
    // Still open when the cooldown ends: announced then, once.
    assert!(step(
        t0 + COOLDOWN_SECS - 1,
        silent(&["227"]),
        &mut open,
        &mut last
    )
    .is_empty());
    assert_eq!(
        step(t0 + COOLDOWN_SECS, silent(&["227"]), &mut open, &mut last),
        [("227".into(), Send::Opened)]
    );
    assert!(step(
        t0 + COOLDOWN_SECS + 300,
        silent(&["227"]),
        &mut open,
        &mut last
    )
    .is_empty());
    // An alert resolved before it was announced ends silently.
    let t1 = t0 + COOLDOWN_SECS + 600;
    assert_eq!(
        step(t1, silent(&["227", "300"]), &mut open, &mut last),
        [("300".into(), Send::Opened)]
    );
    step(t1 + 300, silent(&[]), &mut open, &mut last);
    assert_eq!(
        step(t1 + 600, silent(&["300"]), &mut open, &mut last),
        [("300".into(), Send::Nothing)]
    );
    assert_eq!(
        step(t1 + 900, silent(&[]), &mut open, &mut last),
        [("300".into(), Send::Nothing)]
    );
    // Rules are independent: another rule's findings do not resolve this one's alerts.
    step(t1 + 1_000, silent(&["227"]), &mut open, &mut last);
    let other = vec![(Rule::Down, Some(vec![finding(Rule::Down, "227")]))];
    assert_eq!(
        step(t1 + 1_100, other, &mut open, &mut last),
        [("227".into(), Send::Opened)]
    );
    assert_eq!(open.len(), 2);
}
