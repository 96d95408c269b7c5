//! The collector's spool group commits (write + `fdatasync`) during a phase, from the
//! `emc_spool_commit_seconds` histogram of its `/metrics`: every `202` waits for one commit,
//! and for the end of the one under way, so on a slow disk they set the floor of the latency.
use serde::Serialize;

const METRIC: &str = "emc_spool_commit_seconds_bucket{le=\"";

/// Cumulative counts by upper bound (seconds), as the histogram exposes them.
pub type Buckets = Vec<(f64, u64)>;

/// Commits during a phase: how many, and the bucket bounds their p50 and p99 fall under.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CommitLatency {
    pub commits: u64,
    pub p50_ms_at_most: f64,
    pub p99_ms_at_most: f64,
}

pub async fn scrape(base: &str) -> Option<Buckets> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .build()
        .ok()?;
    let text = crate::verify::scrape(&client, &format!("{base}/metrics")).await?;
    Some(parse(&text))
}

pub fn parse(text: &str) -> Buckets {
    text.lines()
        .filter_map(|l| {
            let (le, count) = l.strip_prefix(METRIC)?.split_once("\"} ")?;
            let le = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().ok()?
            };
            Some((le, count.trim().parse().ok()?))
        })
        .collect()
}

/// The commits between two scrapes.
pub fn between(before: &Buckets, after: &Buckets) -> Option<CommitLatency> {
    let counts: Vec<(f64, u64)> = after
        .iter()
        .map(|&(le, n)| {
            (
                le,
                n.saturating_sub(before.iter().find(|b| b.0 == le).map_or(0, |b| b.1)),
            )
        })
        .collect();
    let total = counts.last()?.1;
    if total == 0 {
        return None;
    }
    let under = |q: f64| {
        counts
            .iter()
            .find(|&&(_, n)| n as f64 >= q * total as f64)
            .map_or(f64::INFINITY, |&(le, _)| le * 1e3)
    };
    Some(CommitLatency {
        commits: total,
        p50_ms_at_most: under(0.5),
        p99_ms_at_most: under(0.99),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_between_two_scrapes() {
        let before = parse("emc_spool_commit_seconds_bucket{le=\"0.001\"} 5\nemc_spool_commit_seconds_bucket{le=\"0.004\"} 10\nemc_spool_commit_seconds_bucket{le=\"+Inf\"} 10\n");
        let after = parse("# HELP x\nemc_spool_commit_seconds_bucket{le=\"0.001\"} 55\nemc_spool_commit_seconds_bucket{le=\"0.004\"} 108\nemc_spool_commit_seconds_bucket{le=\"+Inf\"} 110\nemc_spool_commit_seconds_count 110\n");
        assert_eq!(after.len(), 3);
        let c = between(&before, &after).unwrap();
        assert_eq!(
            c,
            CommitLatency {
                commits: 100,
                p50_ms_at_most: 1.0,
                p99_ms_at_most: f64::INFINITY
            }
        );
        assert_eq!(between(&after, &after), None);
    }
}
