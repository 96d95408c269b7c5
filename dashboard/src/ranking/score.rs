//! The pure part of ranking: criteria → score → grade → order, and the previous period.
use super::criteria::{normalize, Context, Criteria, Criterion, SiteInputs};
use super::weights::RankingConfig;
use chrono::{Datelike, Duration, Months, NaiveDate};
use serde::Serialize;
use std::cmp::Ordering;

/// How a group is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// The weighted sum of the eight criteria (the 2025 criteria).
    Weighted,
    /// Visits alone: the method of the 2024 national ranking.
    Visits,
}

/// Grade bands of public-service systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
}

impl Grade {
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
        }
    }
}

/// A ≥ 90, B ≥ 80, C ≥ 65, D ≥ 50, E below (on the score rounded to 0.01).
pub fn grade(score: f64) -> Grade {
    match score {
        s if s >= 90.0 => Grade::A,
        s if s >= 80.0 => Grade::B,
        s if s >= 65.0 => Grade::C,
        s if s >= 50.0 => Grade::D,
        _ => Grade::E,
    }
}

/// Rounds to two decimals (what is shown, graded and compared).
pub fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// `Σ wᵢ·cᵢ / Σ wᵢ`, unrounded.
pub fn weighted_score(c: &Criteria, cfg: &RankingConfig) -> f64 {
    let sum = cfg.weights.sum();
    if sum <= 0.0 {
        return 0.0;
    }
    Criterion::ALL
        .iter()
        .map(|k| cfg.weights.get(*k) * c.get(*k))
        .sum::<f64>()
        / sum
}

/// One site to rank with its figures (a portal's include its components when asked).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Entry {
    pub site: String,
    pub name: String,
    pub inputs: SiteInputs,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedSite {
    /// 1, 2, 3… with no shared ranks (ties are broken, see the module doc).
    pub rank: u32,
    pub site: String,
    pub name: String,
    /// 0–100, two decimals. For [`Method::Visits`]: `100 × visits / max visits of the group`.
    pub score: f64,
    /// `None` under [`Method::Visits`] (the bands grade the weighted score only).
    pub grade: Option<Grade>,
    /// Each criterion 0–100, two decimals.
    pub criteria: Criteria,
    pub visits: i64,
    pub visitors: u64,
    /// Rank in the previous period, when it was computed.
    pub previous_rank: Option<u32>,
    /// `previous_rank − rank`: positive = moved up.
    pub rank_change: Option<i64>,
}

/// Site codes order numerically when they are numbers: shorter first, then by text.
fn code_order(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Ranks one group. `range_days` is the number of days of the period.
pub fn rank(
    entries: &[Entry],
    cfg: &RankingConfig,
    method: Method,
    range_days: u32,
) -> Vec<RankedSite> {
    let cx = Context {
        max_visits: entries.iter().map(|e| e.inputs.visits).max().unwrap_or(0),
        max_visitors: entries.iter().map(|e| e.inputs.visitors).max().unwrap_or(0),
        range_days,
        duration_target_secs: cfg.engagement_duration_target_secs,
        sources: cfg.sources,
    };
    let mut out: Vec<RankedSite> = entries
        .iter()
        .map(|e| {
            let c = normalize(&e.inputs, &cx);
            let (score, grade) = match method {
                Method::Weighted => {
                    let s = round2(weighted_score(&c, cfg));
                    (s, Some(self::grade(s)))
                }
                Method::Visits => (
                    round2(super::criteria::pct(
                        e.inputs.visits.max(0) as f64,
                        cx.max_visits as f64,
                    )),
                    None,
                ),
            };
            RankedSite {
                rank: 0,
                site: e.site.clone(),
                name: e.name.clone(),
                score,
                grade,
                criteria: round_criteria(&c),
                visits: e.inputs.visits,
                visitors: e.inputs.visitors,
                previous_rank: None,
                rank_change: None,
            }
        })
        .collect();
    out.sort_by(|a, b| order(a, b, method));
    for (i, r) in out.iter_mut().enumerate() {
        r.rank = i as u32 + 1;
    }
    out
}

/// Score (hundredths) descending, then visits descending, then site code ascending.
/// Under [`Method::Visits`] the score step is visits itself.
fn order(a: &RankedSite, b: &RankedSite, method: Method) -> Ordering {
    let by_score = match method {
        Method::Weighted => {
            ((b.score * 100.0).round() as i64).cmp(&((a.score * 100.0).round() as i64))
        }
        Method::Visits => Ordering::Equal,
    };
    by_score
        .then_with(|| b.visits.cmp(&a.visits))
        .then_with(|| code_order(&a.site, &b.site))
}

fn round_criteria(c: &Criteria) -> Criteria {
    Criteria {
        traffic: round2(c.traffic),
        engagement: round2(c.engagement),
        connection: round2(c.connection),
        label: round2(c.label),
        metadata: round2(c.metadata),
        domain: round2(c.domain),
        speed: round2(c.speed),
        security: round2(c.security),
    }
}

/// Sets `previous_rank` and `rank_change` from the ranking of the previous period.
pub fn apply_previous(current: &mut [RankedSite], previous: &[RankedSite]) {
    for r in current.iter_mut() {
        r.previous_rank = previous.iter().find(|p| p.site == r.site).map(|p| p.rank);
        r.rank_change = r.previous_rank.map(|p| i64::from(p) - i64::from(r.rank));
    }
}

/// The period just before `[from, to]`: whole calendar months shift by months (a year's
/// previous is the previous year, leap or not); any other range by its length in days.
pub fn previous_period(from: NaiveDate, to: NaiveDate) -> (NaiveDate, NaiveDate) {
    let whole_months = from.day() == 1 && (to + Duration::days(1)).day() == 1;
    if whole_months {
        let months = (to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1;
        let m = Months::new(months.max(1) as u32);
        (from - m, from - Duration::days(1))
    } else {
        let n = (to - from).num_days() + 1;
        (from - Duration::days(n), from - Duration::days(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn grade_bands() {
        let cases = [
            (100.0, Grade::A),
            (90.0, Grade::A),
            (89.99, Grade::B),
            (80.0, Grade::B),
            (79.99, Grade::C),
            (65.0, Grade::C),
            (64.99, Grade::D),
            (50.0, Grade::D),
            (49.99, Grade::E),
            (0.0, Grade::E),
        ];
        for (s, g) in cases {
            assert_eq!(grade(s), g, "{s}");
        }
    }

    #[test]
    fn previous_periods() {
        let cases = [
            ("2025-01-01", "2025-12-31", "2024-01-01", "2024-12-31"),
            ("2024-01-01", "2024-12-31", "2023-01-01", "2023-12-31"),
            ("2025-03-01", "2025-03-31", "2025-02-01", "2025-02-28"),
            ("2025-01-01", "2025-06-30", "2024-07-01", "2024-12-31"),
            ("2025-03-10", "2025-03-19", "2025-02-28", "2025-03-09"),
        ];
        for (f, t, pf, pt) in cases {
            assert_eq!(previous_period(d(f), d(t)), (d(pf), d(pt)), "{f}..{t}");
        }
    }

    fn entry(site: &str, visits: i64) -> Entry {
        Entry {
            site: site.into(),
            name: site.into(),
            inputs: SiteInputs {
                visits,
                visitors: visits as u64,
                ..SiteInputs::default()
            },
        }
    }

    #[test]
    fn visits_method_orders_by_visits_then_code() {
        let e = [
            entry("300", 50),
            entry("1000", 80),
            entry("227", 80),
            entry("9", 10),
        ];
        let r = rank(&e, &RankingConfig::default(), Method::Visits, 31);
        let order: Vec<_> = r
            .iter()
            .map(|x| (x.rank, x.site.as_str(), x.score, x.grade))
            .collect();
        assert_eq!(
            order,
            vec![
                (1, "227", 100.0, None),
                (2, "1000", 100.0, None),
                (3, "300", 62.5, None),
                (4, "9", 12.5, None)
            ]
        );
    }

    #[test]
    fn rank_change_is_previous_minus_current() {
        let cfg = RankingConfig::default();
        let mut now = rank(&[entry("a", 10), entry("b", 20)], &cfg, Method::Visits, 1);
        let before = rank(&[entry("a", 30), entry("b", 20)], &cfg, Method::Visits, 1);
        apply_previous(&mut now, &before);
        assert_eq!(
            (
                now[0].site.as_str(),
                now[0].previous_rank,
                now[0].rank_change
            ),
            ("b", Some(2), Some(1))
        );
        assert_eq!(
            (
                now[1].site.as_str(),
                now[1].previous_rank,
                now[1].rank_change
            ),
            ("a", Some(1), Some(-1))
        );
    }
}
