//! The period a report covers: a calendar month (`YYYY-MM`) or an ISO week (Monday to
//! Sunday), in EMC_TIMEZONE, and the period before it.
use crate::notify::subscriptions::Period;
use crate::params::Range;
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportPeriod {
    pub period: Period,
    pub from: NaiveDate,
    /// Inclusive.
    pub to: NaiveDate,
    pub tz: Tz,
}

impl ReportPeriod {
    /// `YYYY-MM` → that month (an error names the expected form).
    pub fn month(ym: &str, tz: Tz) -> Result<ReportPeriod, String> {
        let from = NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d")
            .map_err(|_| format!("month {ym:?}: use YYYY-MM"))?;
        if ym.len() != 7 {
            return Err(format!("month {ym:?}: use YYYY-MM"));
        }
        let next = from
            .checked_add_months(chrono::Months::new(1))
            .ok_or("month out of range")?;
        Ok(ReportPeriod {
            period: Period::Monthly,
            from,
            to: next - Duration::days(1),
            tz,
        })
    }

    /// The last whole month before `today`.
    pub fn month_before(today: NaiveDate, tz: Tz) -> ReportPeriod {
        let first = today.with_day(1).unwrap_or(today);
        let from = first
            .checked_sub_months(chrono::Months::new(1))
            .unwrap_or(first);
        ReportPeriod {
            period: Period::Monthly,
            from,
            to: first - Duration::days(1),
            tz,
        }
    }

    /// The last whole ISO week (Monday–Sunday) before `today`.
    pub fn week_before(today: NaiveDate, tz: Tz) -> ReportPeriod {
        let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()));
        ReportPeriod {
            period: Period::Weekly,
            from: monday - Duration::days(7),
            to: monday - Duration::days(1),
            tz,
        }
    }

    /// The last whole period of `kind` before `today`.
    pub fn before(kind: Period, today: NaiveDate, tz: Tz) -> ReportPeriod {
        match kind {
            Period::Monthly => Self::month_before(today, tz),
            Period::Weekly => Self::week_before(today, tz),
        }
    }

    /// The period just before this one (the previous month, or the previous week).
    pub fn previous(&self) -> ReportPeriod {
        let (from, to) = crate::ranking::score::previous_period(self.from, self.to);
        ReportPeriod { from, to, ..*self }
    }

    pub fn range(&self) -> Range {
        Range {
            from: self.from,
            to: self.to,
            tz: self.tz,
        }
    }

    /// `2026-11` or `2026-W48`.
    pub fn key(&self) -> String {
        match self.period {
            Period::Monthly => self.from.format("%Y-%m").to_string(),
            Period::Weekly => {
                let w = self.from.iso_week();
                format!("{}-W{:02}", w.year(), w.week())
            }
        }
    }

    /// `tháng 11/2026` or `tuần 23/11–29/11/2026`.
    pub fn label_vi(&self) -> String {
        match self.period {
            Period::Monthly => format!("tháng {}", self.from.format("%m/%Y")),
            Period::Weekly => format!(
                "tuần {}–{}",
                self.from.format("%d/%m"),
                self.to.format("%d/%m/%Y")
            ),
        }
    }

    /// `November 2026` or `week 2026-11-23 – 2026-11-29`.
    pub fn label_en(&self) -> String {
        match self.period {
            Period::Monthly => self.from.format("%B %Y").to_string(),
            Period::Weekly => format!("week {} – {}", self.from, self.to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    const TZ: Tz = chrono_tz::Asia::Ho_Chi_Minh;
    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn months_weeks_and_their_predecessors() {
        let m = ReportPeriod::month("2026-02", TZ).unwrap();
        assert_eq!((m.from, m.to), (d("2026-02-01"), d("2026-02-28")));
        assert_eq!(
            (m.previous().from, m.previous().to),
            (d("2026-01-01"), d("2026-01-31"))
        );
        assert_eq!(m.key(), "2026-02");
        assert_eq!(m.label_vi(), "tháng 02/2026");
        for bad in ["2026-13", "2026-2", "26-02", "2026-02-01", ""] {
            assert!(ReportPeriod::month(bad, TZ).is_err(), "{bad}");
        }
        let last = ReportPeriod::month_before(d("2026-03-01"), TZ);
        assert_eq!((last.from, last.to), (d("2026-02-01"), d("2026-02-28")));
        // 2026-12-07 is a Monday; the week before runs Monday 30 Nov to Sunday 6 Dec.
        let w = ReportPeriod::week_before(d("2026-12-07"), TZ);
        assert_eq!((w.from, w.to), (d("2026-11-30"), d("2026-12-06")));
        assert_eq!(
            ReportPeriod::week_before(d("2026-12-13"), TZ).from,
            d("2026-11-30")
        );
        assert_eq!(
            (w.previous().from, w.previous().to),
            (d("2026-11-23"), d("2026-11-29"))
        );
        assert_eq!(w.key(), "2026-W49");
    }
}
