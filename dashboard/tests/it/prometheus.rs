//! `deploy/prometheus/alerts.yml`: valid for Prometheus (`promtool check rules`), each alert
//! fires on the series of `alerts_test.yml` (`promtool test rules`), and every metric it names
//! is one the collector or the dashboard really exposes.
use emc_dashboard::health::SiteHealth;
use emc_dashboard::metrics::{render, AlertCounts};
use std::path::PathBuf;
use std::process::Command;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus")
}

fn promtool(args: &[&str]) -> String {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir())
        .output()
        .expect("running promtool (scripts/install-deps.sh installs Debian's prometheus)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "promtool {args:?}: {text}");
    text
}

#[test]
fn alerts_prometheus_rules_pass_promtool() {
    let check = promtool(&["check", "rules", "alerts.yml"]);
    assert!(check.contains("SUCCESS: 8 rules found"), "{check}");
    promtool(&["test", "rules", "alerts_test.yml"]);
}

/// Metric family names in an exposition (`# TYPE name kind`).
fn families(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.split_whitespace().next())
        .map(String::from)
        .collect()
}

#[test]
fn alerts_prometheus_rules_name_real_metrics() {
    // A family is exposed once it has a label set: give each labelled one a sample, as a
    // running collector does after its first insert.
    let m = emc_collector::metrics::Metrics::new();
    let table = emc_collector::metrics::TableLabel { table: "events" };
    m.dead_letter_rows.get_or_create(&table).inc();
    m.insert_retries.get_or_create(&table).inc();
    m.insert_seconds.get_or_create(&table).observe(0.01);
    m.spool_full.inc();
    let collector = m.encode();
    let health = [SiteHealth {
        site: "227".into(),
        name: String::new(),
        last_seen: Some(1),
        silent_for_secs: Some(1),
        silent: true,
    }];
    let counts = AlertCounts {
        open: vec![("silent", 1)],
        deliveries: vec![("email".into(), "failed".into(), 1)],
    };
    let dashboard = render(&health, 86_400, &counts);
    let mut known = families(&collector);
    known.extend(families(&dashboard));
    let rules = std::fs::read_to_string(dir().join("alerts.yml")).unwrap();
    let expr_lines: Vec<&str> = rules
        .lines()
        .filter(|l| l.trim_start().starts_with("expr:"))
        .collect();
    assert_eq!(expr_lines.len(), 8);
    for line in expr_lines {
        for word in line.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
            if !word.starts_with("emc_") {
                continue;
            }
            // Counters are exposed as `<family>_total`, histograms as `<family>_bucket`.
            let family = word
                .strip_suffix("_total")
                .or_else(|| word.strip_suffix("_bucket"))
                .unwrap_or(word);
            assert!(
                known.iter().any(|k| k == family),
                "{word} (in `{}`) is not exposed; known: {known:?}",
                line.trim()
            );
        }
    }
}
