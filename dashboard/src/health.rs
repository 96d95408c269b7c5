//! Connection health from the connection log: when each site's tag was last heard, which sites
//! have been silent too long, and what share of each site's requests were turned away and why.
//!
//! - **last seen**: the newest accepted request (`reason = 'ok'`) of the site in the connection
//!   log, looked back over a bounded window (`since`).
//! - **silent**: never seen in the window, or last seen more than the threshold ago
//!   (default 24 h; exactly the threshold is not yet silent).
//! - **rejected**: every request whose `reason` is not `ok` — refused (`malformed`,
//!   `unknown_site`, `hostname_mismatch`, …) or answered but dropped (`bot:*`).
//!
//! The rows come from [`crate::reports::health`].
use emc_sql::registry::SiteRow;
use serde::Serialize;
use std::collections::BTreeMap;

pub const DEFAULT_SILENCE_SECS: u64 = 24 * 3600;
/// The reason the collector writes for an accepted request.
pub const ACCEPTED: &str = "ok";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SiteHealth {
    pub site: String,
    pub name: String,
    /// Unix seconds of the last accepted beacon, `None` when none in the window.
    pub last_seen: Option<u32>,
    /// `now − last_seen`, seconds.
    pub silent_for_secs: Option<u64>,
    pub silent: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rejections {
    pub site: String,
    pub requests: u64,
    pub rejected: u64,
    /// `rejected / requests`.
    pub share: Option<f64>,
    /// Rejection reasons with their counts, most frequent first (ties by reason).
    pub reasons: Vec<(String, u64)>,
}

/// Health of each registered site at `now` (pure).
pub fn assess(
    sites: &[SiteRow],
    last_seen: &BTreeMap<String, u32>,
    now: u32,
    threshold_secs: u64,
) -> Vec<SiteHealth> {
    sites
        .iter()
        .map(|s| {
            let last = last_seen.get(&s.code).copied();
            let silent_for = last.map(|t| u64::from(now.saturating_sub(t)));
            SiteHealth {
                site: s.code.clone(),
                name: s.name.clone(),
                last_seen: last,
                silent_for_secs: silent_for,
                silent: silent_for.is_none_or(|secs| secs > threshold_secs),
            }
        })
        .collect()
}

/// The silent ones, longest silence first (never seen first), then by code.
pub fn silent_sites(health: &[SiteHealth]) -> Vec<SiteHealth> {
    let mut out: Vec<SiteHealth> = health.iter().filter(|h| h.silent).cloned().collect();
    out.sort_by(|a, b| {
        let key = |h: &SiteHealth| h.silent_for_secs.unwrap_or(u64::MAX);
        key(b)
            .cmp(&key(a))
            .then_with(|| a.site.len().cmp(&b.site.len()))
            .then_with(|| a.site.cmp(&b.site))
    });
    out
}

/// Per site from `(site, reason, count)` rows (pure).
pub fn summarize(rows: &[(String, String, u64)]) -> Vec<Rejections> {
    let mut by_site: BTreeMap<&str, Rejections> = BTreeMap::new();
    for (site, reason, n) in rows {
        let r = by_site.entry(site).or_insert_with(|| Rejections {
            site: site.clone(),
            requests: 0,
            rejected: 0,
            share: None,
            reasons: vec![],
        });
        r.requests += n;
        if reason != ACCEPTED {
            r.rejected += n;
            r.reasons.push((reason.clone(), *n));
        }
    }
    by_site
        .into_values()
        .map(|mut r| {
            r.share = (r.requests > 0).then(|| r.rejected as f64 / r.requests as f64);
            r.reasons
                .sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            r
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(code: &str) -> SiteRow {
        SiteRow {
            code: code.into(),
            name: format!("Cổng {code}"),
            ..SiteRow::default()
        }
    }

    #[test]
    fn silence_with_a_fixed_clock() {
        let now = 1_764_000_000;
        let seen: BTreeMap<String, u32> = [
            ("1", now - 60),
            ("2", now - 86_400),
            ("3", now - 86_401),
            ("4", now - 10 * 86_400),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let sites = [site("1"), site("2"), site("3"), site("4"), site("5")];
        let h = assess(&sites, &seen, now, DEFAULT_SILENCE_SECS);
        let flags: Vec<(&str, bool, Option<u64>)> = h
            .iter()
            .map(|x| (x.site.as_str(), x.silent, x.silent_for_secs))
            .collect();
        assert_eq!(
            flags,
            vec![
                ("1", false, Some(60)),
                ("2", false, Some(86_400)),
                ("3", true, Some(86_401)),
                ("4", true, Some(864_000)),
                ("5", true, None)
            ]
        );
        let order: Vec<String> = silent_sites(&h).into_iter().map(|x| x.site).collect();
        assert_eq!(order, ["5", "4", "3"]);
        // A shorter threshold flags more.
        assert!(assess(&sites, &seen, now, 30)[0].silent);
    }

    #[test]
    fn rejections_per_site() {
        let rows = [
            ("1", "bot:crawler", 2),
            ("1", "hostname_mismatch", 3),
            ("1", "ok", 5),
            ("2", "ok", 4),
            ("x", "unknown_site", 7),
        ];
        let rows: Vec<(String, String, u64)> = rows
            .iter()
            .map(|(a, b, n)| (a.to_string(), b.to_string(), *n))
            .collect();
        let s = summarize(&rows);
        assert_eq!(s.len(), 3);
        assert_eq!(
            (s[0].requests, s[0].rejected, s[0].share),
            (10, 5, Some(0.5))
        );
        assert_eq!(
            s[0].reasons,
            vec![
                ("hostname_mismatch".to_owned(), 3),
                ("bot:crawler".to_owned(), 2)
            ]
        );
        assert_eq!(
            (s[1].rejected, s[1].share, s[1].reasons.len()),
            (0, Some(0.0), 0)
        );
        assert_eq!((s[2].site.as_str(), s[2].share), ("x", Some(1.0)));
    }
}
