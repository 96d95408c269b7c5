//! The five headline metrics of a report page: one enum for the KPI row, the main chart's
//! metric switch (`?metric=`) and their formats, so a metric cannot be missing from one place.
use crate::i18n::Texts;
use crate::reports::{Point, Stats};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Metric {
    Visits,
    Visitors,
    Pageviews,
    BounceRate,
    VisitDuration,
}

impl Metric {
    pub const ALL: [Metric; 5] = [
        Metric::Visits,
        Metric::Visitors,
        Metric::Pageviews,
        Metric::BounceRate,
        Metric::VisitDuration,
    ];

    /// The `metric=` parameter.
    pub fn key(self) -> &'static str {
        match self {
            Metric::Visits => "visits",
            Metric::Visitors => "visitors",
            Metric::Pageviews => "pageviews",
            Metric::BounceRate => "bounce_rate",
            Metric::VisitDuration => "visit_duration",
        }
    }

    pub fn label(self, t: &'static Texts) -> &'static str {
        match self {
            Metric::Visits => t.visits,
            Metric::Visitors => t.visitors,
            Metric::Pageviews => t.pageviews,
            Metric::BounceRate => t.bounce_rate,
            Metric::VisitDuration => t.avg_duration,
        }
    }

    /// The metric named by `metric=`; visits when absent or unknown.
    pub fn parse(key: &str) -> Metric {
        Metric::ALL
            .into_iter()
            .find(|m| m.key() == key)
            .unwrap_or(Metric::Visits)
    }

    /// A lower value is the better one (the delta's colour flips).
    pub fn lower_is_better(self) -> bool {
        self == Metric::BounceRate
    }

    pub fn of_stats(self, s: &Stats) -> f64 {
        match self {
            Metric::Visits => s.visits as f64,
            Metric::Visitors => s.visitors as f64,
            Metric::Pageviews => s.pageviews as f64,
            Metric::BounceRate => s.bounce_rate,
            Metric::VisitDuration => s.avg_session_duration,
        }
    }

    pub fn of_point(self, p: &Point) -> f64 {
        match self {
            Metric::Visits => p.visits as f64,
            Metric::Visitors => p.visitors as f64,
            Metric::Pageviews => p.pageviews as f64,
            Metric::BounceRate => p.bounce_rate(),
            Metric::VisitDuration => p.avg_duration(),
        }
    }

    /// The value as the page writes it: counts grouped by thousands, a rate in percent,
    /// a duration in minutes and seconds.
    pub fn format(self, x: f64, t: &Texts) -> String {
        match self {
            Metric::BounceRate => format!("{:.1}%", x * 100.0),
            Metric::VisitDuration => duration(x),
            _ => count(x.round() as i64, t),
        }
    }
}

/// `12.345` in Vietnamese, `12,345` in English (the map's digit grouping).
pub fn count(n: i64, t: &Texts) -> String {
    let sep = if t.lang == "vi" { '.' } else { ',' };
    let out = crate::map::svg::group_digits(n.unsigned_abs(), sep);
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// `2 m 05 s`, `45 s`.
pub fn duration(secs: f64) -> String {
    let s = secs.round().max(0.0) as u64;
    if s >= 60 {
        format!("{} m {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// The change from `before` to `now` in percent (`+12%`), empty when `before` is 0.
pub fn delta(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| (now - before) / before * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{EN, VI};

    #[test]
    fn keys_parse_back_and_formats() {
        for m in Metric::ALL {
            assert_eq!(Metric::parse(m.key()), m);
            assert!(!m.label(&VI).is_empty() && !m.label(&EN).is_empty());
        }
        assert_eq!(Metric::parse("<script>"), Metric::Visits);
        assert_eq!(count(1_234_567, &VI), "1.234.567");
        assert_eq!(count(1_234_567, &EN), "1,234,567");
        assert_eq!(count(999, &EN), "999");
        assert_eq!(count(-1000, &EN), "-1,000");
        assert_eq!(duration(125.4), "2 m 05 s");
        assert_eq!(duration(45.0), "45 s");
        assert_eq!(Metric::BounceRate.format(0.4567, &VI), "45.7%");
        assert_eq!(delta(150.0, 100.0), Some(50.0));
        assert_eq!(delta(1.0, 0.0), None);
    }
}
