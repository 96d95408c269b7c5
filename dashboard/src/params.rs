//! Report parameters, parsed once from the query string for pages, API and CSV alike.
//! A bad value is a `400` naming the parameter.
use crate::error::ApiError;
use crate::reports::Dimension;
use crate::scope::Target;
use chrono::{Duration, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// At most one value per [`Dimension`] (a key given twice is refused); `""` means "not
/// filtered". Index = [`Dimension::index`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters([String; 12]);

impl Filters {
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(String::is_empty)
    }
    /// The value filtered on, `""` when not filtered.
    pub fn get(&self, d: Dimension) -> &str {
        &self.0[d.index()]
    }
    /// `(dimension, value)` of the filters that are set, in [`Dimension::ALL`] order.
    pub fn active(&self) -> Vec<(Dimension, &str)> {
        Dimension::ALL
            .into_iter()
            .map(|d| (d, self.get(d)))
            .filter(|(_, v)| !v.is_empty())
            .collect()
    }
    /// Sets the filter named by `key` (its [`Dimension::key`]).
    pub fn set_key(&mut self, key: &str, value: &str) -> Result<(), ApiError> {
        let d = Dimension::parse(key).ok_or_else(|| {
            ApiError::bad(
                "filter",
                format!("unknown key {key:?}; use one of {}", Dimension::keys()),
            )
        })?;
        self.set(d, value)
    }
    pub fn set(&mut self, d: Dimension, value: &str) -> Result<(), ApiError> {
        let key = d.key();
        if value.is_empty() || value.len() > 500 {
            return Err(ApiError::bad(
                "filter",
                format!("{key}: the value must be 1-500 characters"),
            ));
        }
        let slot = &mut self.0[d.index()];
        if !slot.is_empty() {
            return Err(ApiError::bad("filter", format!("{key} is given twice")));
        }
        *slot = value.to_owned();
        Ok(())
    }
    /// The query-string form, `filter=key:value&…`, for links.
    pub fn to_query(&self) -> String {
        let mut ser = form_urlencoded::Serializer::new(String::new());
        for (d, v) in self.active() {
            ser.append_pair("filter", &format!("{}:{v}", d.key()));
        }
        ser.finish()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
    Month,
}

impl Interval {
    pub const ALL: [Interval; 3] = [Interval::Hour, Interval::Day, Interval::Month];

    pub fn as_str(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
            Interval::Month => "month",
        }
    }
}

/// What a breakdown (`by=`) is of: a dimension, or the keywords of site searches (not a
/// session dimension: its own report, [`crate::reports::site_search`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum By {
    Dimension(Dimension),
    SearchKeyword,
}

impl By {
    pub fn key(self) -> &'static str {
        match self {
            By::Dimension(d) => d.key(),
            By::SearchKeyword => crate::reports::site_search::BY,
        }
    }

    pub fn parse(v: &str) -> Option<By> {
        if v == crate::reports::site_search::BY {
            Some(By::SearchKeyword)
        } else {
            Dimension::parse(v).map(By::Dimension)
        }
    }
}

/// A date range in the configured timezone, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub tz: Tz,
}

impl Range {
    /// Unix seconds of `from` 00:00 in the timezone.
    pub fn start_ts(&self) -> u32 {
        day_start(self.tz, self.from)
    }
    /// Unix seconds of the day after `to`, 00:00 in the timezone (exclusive end).
    pub fn end_ts(&self) -> u32 {
        day_start(self.tz, self.to + Duration::days(1))
    }
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
    /// The period of the same length just before this one.
    pub fn previous(&self) -> Range {
        let n = self.days();
        Range {
            from: self.from - Duration::days(n),
            to: self.from - Duration::days(1),
            tz: self.tz,
        }
    }
    pub fn from_str(&self) -> String {
        self.from.format("%Y-%m-%d").to_string()
    }
    pub fn to_str(&self) -> String {
        self.to.format("%Y-%m-%d").to_string()
    }
}

pub fn day_start(tz: Tz, day: NaiveDate) -> u32 {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    let t = tz
        .from_local_datetime(&naive)
        .earliest()
        .map(|t| t.timestamp())
        .unwrap_or_else(|| naive.and_utc().timestamp());
    t.clamp(0, i64::from(u32::MAX)) as u32
}

/// Everything a report request may carry.
#[derive(Debug, Clone)]
pub struct ReportParams {
    pub target: Target,
    pub range: Range,
    pub filters: Filters,
    pub interval: Interval,
    pub by: By,
    pub limit: u32,
    pub compare: bool,
    /// Overview sort column and direction.
    pub sort: &'static str,
    pub desc: bool,
}

/// Raw `key=value` pairs of a query string.
pub fn pairs(query: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect()
}

pub fn parse_date(param: &'static str, v: &str) -> Result<NaiveDate, ApiError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .map_err(|_| ApiError::bad(param, format!("{v:?} is not a date (YYYY-MM-DD)")))
}

pub fn parse_bool(param: &'static str, v: &str) -> Result<bool, ApiError> {
    match v {
        "true" | "1" | "on" | "yes" => Ok(true),
        "false" | "0" | "off" | "no" | "" => Ok(false),
        _ => Err(ApiError::bad(param, format!("{v:?} is not true or false"))),
    }
}

pub const SORTS: [&str; 6] = [
    "name",
    "visits",
    "visitors",
    "pageviews",
    "bounce_rate",
    "avg_session_duration",
];

impl ReportParams {
    /// Parses a query string. `target` may be given by the route (`/sites/CODE`) instead of
    /// `site=` / `agency=`; `today` is today in the timezone (the default range is the last 30 days).
    pub fn parse(
        pairs: &[(String, String)],
        route_target: Option<Target>,
        tz: Tz,
        today: NaiveDate,
    ) -> Result<ReportParams, ApiError> {
        let mut site = None;
        let mut agency = None;
        let (mut from, mut to) = (None, None);
        let mut include_components = false;
        let mut filters = Filters::default();
        let mut interval = None;
        let mut by = By::Dimension(Dimension::Page);
        let mut limit = 10u32;
        let mut compare = false;
        let mut sort = "visits";
        let mut desc = true;
        for (k, v) in pairs {
            match k.as_str() {
                "site" => site = Some(v.clone()),
                "agency" => agency = Some(v.clone()),
                "from" => from = Some(parse_date("from", v)?),
                "to" => to = Some(parse_date("to", v)?),
                "include_components" => include_components = parse_bool("include_components", v)?,
                "compare" => compare = parse_bool("compare", v)?,
                "filter" => {
                    let (key, value) = v.split_once(':').ok_or_else(|| {
                        ApiError::bad("filter", format!("{v:?}: write key:value"))
                    })?;
                    filters.set_key(key, value)?;
                }
                "interval" => {
                    let found = Interval::ALL.into_iter().find(|i| i.as_str() == v);
                    interval = Some(found.ok_or_else(|| {
                        ApiError::bad("interval", format!("{v:?}: use hour, day or month"))
                    })?)
                }
                "by" => {
                    by = By::parse(v).ok_or_else(|| {
                        ApiError::bad(
                            "by",
                            format!(
                                "{v:?}: use one of {}, {}",
                                Dimension::keys(),
                                crate::reports::site_search::BY
                            ),
                        )
                    })?
                }
                "limit" => {
                    limit = v
                        .parse()
                        .ok()
                        .filter(|n| (1..=1000).contains(n))
                        .ok_or_else(|| {
                            ApiError::bad("limit", format!("{v:?}: a number from 1 to 1000"))
                        })?
                }
                "sort" => {
                    sort = SORTS.iter().find(|s| **s == v).ok_or_else(|| {
                        ApiError::bad("sort", format!("{v:?}: use one of {}", SORTS.join(", ")))
                    })?
                }
                "dir" => {
                    desc = match v.as_str() {
                        "asc" => false,
                        "desc" => true,
                        _ => return Err(ApiError::bad("dir", "use asc or desc")),
                    }
                }
                _ => {} // other parameters (lang, report, …) belong to the caller
            }
        }
        let to = to.unwrap_or(today);
        let from = from.unwrap_or(to - Duration::days(29));
        if from > to {
            return Err(ApiError::bad("from", "is after to"));
        }
        if (to - from).num_days() > 3 * 366 {
            return Err(ApiError::bad(
                "from",
                "the range is longer than three years",
            ));
        }
        let target = match (route_target, site, agency) {
            (Some(t), _, _) => t,
            (None, Some(code), None) => Target::Site {
                code,
                include_components,
            },
            (None, None, Some(id)) => Target::Agency { id },
            (None, Some(_), Some(_)) => {
                return Err(ApiError::bad("site", "give site or agency, not both"))
            }
            (None, None, None) => return Err(ApiError::bad("site", "missing (or give agency)")),
        };
        let target = match target {
            Target::Site { code, .. } => Target::Site {
                code,
                include_components,
            },
            t => t,
        };
        if by == By::SearchKeyword && !filters.is_empty() {
            return Err(ApiError::bad(
                "filter",
                "the site-search report (by=search_keyword) takes no filter",
            ));
        }
        let range = Range { from, to, tz };
        let interval = interval.unwrap_or(if range.days() == 1 {
            Interval::Hour
        } else if range.days() > 120 {
            Interval::Month
        } else {
            Interval::Day
        });
        Ok(ReportParams {
            target,
            range,
            filters,
            interval,
            by,
            limit,
            compare,
            sort,
            desc,
        })
    }
}

/// Today's date in `tz`.
pub fn today(tz: Tz) -> NaiveDate {
    chrono::Utc::now().with_timezone(&tz).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<ReportParams, u16> {
        let today = NaiveDate::from_ymd_opt(2026, 3, 31).unwrap();
        ReportParams::parse(&pairs(Some(q)), None, chrono_tz::Asia::Ho_Chi_Minh, today)
            .map_err(|e| e.status().as_u16())
    }

    #[test]
    fn parameters_table() {
        let ok = parse(
            "site=227&from=2026-03-01&to=2026-03-02&filter=source:organic&filter=region:Hanoi",
        )
        .unwrap();
        assert_eq!(
            ok.filters.active(),
            vec![(Dimension::Source, "organic"), (Dimension::Region, "Hanoi")]
        );
        assert_eq!(ok.interval, Interval::Day);
        assert_eq!(ok.range.start_ts(), 1772298000); // 2026-03-01T00:00+07:00
        assert_eq!(ok.range.end_ts() - ok.range.start_ts(), 2 * 86400);
        assert_eq!(
            ok.range.previous().from,
            NaiveDate::from_ymd_opt(2026, 2, 27).unwrap()
        );
        let bad = [
            "from=2026-03-01",
            "site=1&from=2026-13-01",
            "site=1&from=2026-03-05&to=2026-03-01",
            "site=1&filter=colour:red",
            "site=1&filter=source",
            "site=1&filter=source:a&filter=source:b",
            "site=1&by=password",
            "site=1&limit=0",
            "site=1&interval=week",
            "site=1&include_components=maybe",
            "site=1&by=search_keyword&filter=source:organic",
        ];
        for q in bad {
            assert_eq!(parse(q).err(), Some(400), "{q}");
        }
        let e = ReportParams::parse(
            &pairs(Some("site=1&by=x")),
            None,
            chrono_tz::UTC,
            NaiveDate::MIN,
        )
        .unwrap_err();
        assert!(matches!(e, ApiError::BadParam { param: "by", .. }));
        assert_eq!(
            parse("site=1&from=2026-03-01&to=2026-03-01")
                .unwrap()
                .interval,
            Interval::Hour
        );
    }
}
