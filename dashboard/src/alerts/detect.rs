//! The rules as pure functions of what was measured and the clock: each returns the sites
//! for which its condition holds now, with a human-readable detail. Thresholds come from
//! [`SettingsTable`] (defaults, or a site's override).
use super::rules::{Override, Rule, Settings};
use crate::health::Rejections;
use emc_sql::registry::SiteRow;
use std::collections::BTreeMap;

/// One rule's condition holding for one site.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    pub site: String,
    pub detail: String,
}

/// Defaults with per-site overrides.
#[derive(Debug, Clone, Default)]
pub struct SettingsTable {
    pub silence_secs: u64,
    pub overrides: BTreeMap<(String, Rule), Override>,
}

impl SettingsTable {
    /// The rule's defaults with the site's override, if any, put in.
    pub fn get(&self, site: &str, rule: Rule) -> Settings {
        let d = rule.default_settings(self.silence_secs);
        match self.overrides.get(&(site.to_owned(), rule)) {
            Some(o) => o.apply(d),
            None => d,
        }
    }
}

fn finding(rule: Rule, site: &str, detail: String) -> Finding {
    Finding {
        rule,
        site: site.to_owned(),
        detail,
    }
}

/// `silent`: last accepted beacon older than the threshold; a site never heard from counts once
/// it has been registered for longer than the threshold.
pub fn silent(
    sites: &[SiteRow],
    last_seen: &BTreeMap<String, u32>,
    now: u32,
    settings: &SettingsTable,
) -> Vec<Finding> {
    let mut out = vec![];
    for s in sites {
        let st = settings.get(&s.code, Rule::Silent);
        if !st.enabled {
            continue;
        }
        let limit = st.threshold.max(0.0) as u64;
        let since = last_seen.get(&s.code).copied();
        let quiet_for = u64::from(now.saturating_sub(since.unwrap_or(s.created_at)));
        if quiet_for > limit {
            let detail = match since {
                Some(_) => format!(
                    "no beacon for {} (threshold {}) / không nhận dữ liệu trong {}",
                    human(quiet_for),
                    human(limit),
                    human(quiet_for)
                ),
                None => format!(
                    "no beacon since registration {} ago / chưa từng nhận dữ liệu",
                    human(quiet_for)
                ),
            };
            out.push(finding(Rule::Silent, &s.code, detail));
        }
    }
    out
}

/// `broken_tag`: the share of the last hour's requests turned away is above the threshold,
/// with at least `floor` requests; the detail names the reasons.
pub fn broken_tag(
    sites: &[SiteRow],
    hour: &[Rejections],
    settings: &SettingsTable,
) -> Vec<Finding> {
    let mut out = vec![];
    for r in hour {
        if !sites.iter().any(|s| s.code == r.site) {
            continue;
        }
        let st = settings.get(&r.site, Rule::BrokenTag);
        let share = r.share.unwrap_or(0.0);
        if st.enabled && (r.requests as f64) >= st.floor && share > st.threshold {
            let reasons: Vec<String> = r
                .reasons
                .iter()
                .map(|(reason, n)| format!("{reason} {n}"))
                .collect();
            let detail = format!(
                "{:.0} % of {} requests rejected in the last hour ({}) / {:.0} % yêu cầu bị từ chối",
                share * 100.0,
                r.requests,
                reasons.join(", "),
                share * 100.0
            );
            out.push(finding(Rule::BrokenTag, &r.site, detail));
        }
    }
    out
}

/// Hits of a site today so far and in the same hours of the same weekday 1–4 weeks before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Traffic {
    pub site: String,
    pub today: u64,
    pub weeks: [u64; 4],
}

/// Median of four values: the mean of the middle two.
pub fn median4(mut v: [u64; 4]) -> f64 {
    v.sort_unstable();
    (v[1] + v[2]) as f64 / 2.0
}

/// `traffic_drop` (median ≥ floor and today < (1 − threshold) × median) and `traffic_spike`
/// (today ≥ floor, median > 0 and today > (1 + threshold) × median).
pub fn traffic(sites: &[SiteRow], rows: &[Traffic], settings: &SettingsTable) -> Vec<Finding> {
    let mut out = vec![];
    for s in sites {
        let t = rows
            .iter()
            .find(|t| t.site == s.code)
            .cloned()
            .unwrap_or(Traffic {
                site: s.code.clone(),
                today: 0,
                weeks: [0; 4],
            });
        let median = median4(t.weeks);
        let today = t.today as f64;
        let drop = settings.get(&s.code, Rule::TrafficDrop);
        if drop.enabled && median >= drop.floor && today < (1.0 - drop.threshold) * median {
            let detail = format!(
                "{} hits today so far against a median of {median} on the same weekday ({:?}) / lưu lượng giảm {:.0} %",
                t.today,
                t.weeks,
                (1.0 - today / median) * 100.0
            );
            out.push(finding(Rule::TrafficDrop, &s.code, detail));
        }
        let spike = settings.get(&s.code, Rule::TrafficSpike);
        if spike.enabled
            && today >= spike.floor
            && median > 0.0
            && today > (1.0 + spike.threshold) * median
        {
            let detail = format!(
                "{} hits today so far against a median of {median} on the same weekday ({:?}) / lưu lượng gấp {:.1} lần",
                t.today,
                t.weeks,
                today / median
            );
            out.push(finding(Rule::TrafficSpike, &s.code, detail));
        }
    }
    out
}

/// The scanner's newest results of one (site, domain, check), newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanResult {
    pub site: String,
    pub domain: String,
    pub check: String,
    /// `pass`, `fail`, `error`, `n/a`.
    pub outcome: String,
    pub value: String,
    pub scanned_at: u32,
}

fn series(scans: &[ScanResult]) -> BTreeMap<(&str, &str, &str), Vec<&ScanResult>> {
    let mut by: BTreeMap<(&str, &str, &str), Vec<&ScanResult>> = BTreeMap::new();
    for r in scans {
        by.entry((r.site.as_str(), r.domain.as_str(), r.check.as_str()))
            .or_default()
            .push(r);
    }
    for v in by.values_mut() {
        v.sort_by_key(|r| std::cmp::Reverse(r.scanned_at));
    }
    by
}

fn registered<'a>(sites: &'a [SiteRow], code: &str) -> Option<&'a SiteRow> {
    sites.iter().find(|s| s.code == code)
}

/// Groups per-domain lines into one finding per site.
fn per_site(rule: Rule, lines: BTreeMap<String, Vec<String>>) -> Vec<Finding> {
    lines
        .into_iter()
        .map(|(site, l)| finding(rule, &site, l.join("; ")))
        .collect()
}

/// `down`: the newest `threshold` (default 2) `http` results of a domain are all fail or error.
/// `tls_expiry`: the newest `tls_expiry_days` value of a domain is at most the threshold.
/// `compliance`: a check whose newest result is `fail` and whose newest result before that run
/// of failures (errors skipped) is `pass`.
pub fn scans(sites: &[SiteRow], scans: &[ScanResult], settings: &SettingsTable) -> Vec<Finding> {
    let mut down: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut tls: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut regressed: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for ((site, domain, check), rs) in series(scans) {
        if registered(sites, site).is_none() {
            continue;
        }
        match check {
            "http" => {
                let st = settings.get(site, Rule::Down);
                let n = (st.threshold.max(1.0)) as usize;
                let failing = rs.len() >= n
                    && rs[..n]
                        .iter()
                        .all(|r| r.outcome == "fail" || r.outcome == "error");
                if st.enabled && failing {
                    down.entry(site.into()).or_default().push(format!(
                        "{domain}: {n} failed scans in a row ({}) / không truy cập được",
                        rs[0].value
                    ));
                }
            }
            "tls_expiry_days" => {
                let st = settings.get(site, Rule::TlsExpiry);
                if let Ok(days) = rs[0].value.trim().parse::<f64>() {
                    if st.enabled && days <= st.threshold {
                        tls.entry(site.into()).or_default().push(format!(
                            "{domain}: certificate expires in {days} days / chứng thư số hết hạn sau {days} ngày"
                        ));
                    }
                }
            }
            _ => {}
        }
        // An `http` failure is the `down` rule's; every other check can regress.
        let st = settings.get(site, Rule::Compliance);
        if st.enabled && check != "http" && rs[0].outcome == "fail" {
            let before = rs
                .iter()
                .find(|r| r.outcome != "fail" && r.outcome != "error");
            if before.is_some_and(|r| r.outcome == "pass") {
                regressed.entry(site.into()).or_default().push(format!(
                    "{check} ({domain}) passed, now fails / trước đạt, nay không đạt"
                ));
            }
        }
    }
    let mut out = per_site(Rule::Down, down);
    out.extend(per_site(Rule::TlsExpiry, tls));
    out.extend(per_site(Rule::Compliance, regressed));
    out
}

/// `90061 s` → `1 d 1 h 1 min`.
pub fn human(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} d {h} h"),
    }
}
