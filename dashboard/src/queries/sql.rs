//! Every SQL statement the reports send, as constants with `?` placeholders. Values are
//! always bound; identifiers (the breakdown dimension) come from the allow-list in this file.
//!
//! Conventions (the binders in `queries::bind` follow them):
//! - `SESSIONS_WHERE`: sites, start_ts, end_ts, then the filter binds;
//! - filter binds: page, sites, start_ts, end_ts + 1 day, page, then (value, value) for each
//!   session-level filter in `params::FILTER_KEYS` order; `''` means "not filtered";
//! - `EVENTS_WHERE`: sites, start_ts, end_ts + 1 day, page, page, then `SESSIONS_WHERE`'s binds.

/// The sites of a report: an array bound once, expanded by the server.
macro_rules! sites_in {
    () => {
        "site IN (SELECT arrayJoin(?))"
    };
}

/// Filters on `sessions` rows. `page` keeps the visits that viewed the page.
macro_rules! session_filters {
    () => {
        concat!(
            "(? = '' OR session_id IN (SELECT session_id FROM events WHERE ",
            sites_in!(),
            " AND timestamp >= toDateTime(?) AND timestamp < toDateTime(?) AND name = 'pageview' AND pathname = ?))",
            " AND (? = '' OR entry_page = ?) AND (? = '' OR exit_page = ?) AND (? = '' OR source = ?)",
            " AND (? = '' OR referrer_source = ?) AND (? = '' OR utm_campaign = ?) AND (? = '' OR country_code = ?)",
            " AND (? = '' OR region = ?) AND (? = '' OR city = ?) AND (? = '' OR browser = ?) AND (? = '' OR os = ?)",
            " AND (? = '' OR device = ?)"
        )
    };
}

/// Visits started in the range that match the filters (sign-weighted sums are exact).
macro_rules! sessions_where {
    () => {
        concat!(
            sites_in!(),
            " AND start >= toDateTime(?) AND start < toDateTime(?) AND ",
            session_filters!()
        )
    };
}

/// Hits of the matching visits (and only of the filtered page, when there is one).
macro_rules! events_where {
    () => {
        concat!(
            sites_in!(),
            " AND timestamp >= toDateTime(?) AND timestamp < toDateTime(?) AND session_id != 0",
            " AND (? = '' OR pathname = ?)",
            " AND session_id IN (SELECT session_id FROM sessions WHERE ",
            sessions_where!(),
            " GROUP BY session_id HAVING sum(sign) > 0)"
        )
    };
}

macro_rules! daily_where {
    () => {
        concat!(sites_in!(), " AND day >= toDate(?) AND day <= toDate(?)")
    };
}

// ---- headline figures ----

/// Rollup: visits, bounces, duration, page views by source (binds: sites, from, to).
pub const STATS_SESSIONS_DAILY: &str = concat!(
    "SELECT source, toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)) ",
    "FROM sessions_daily WHERE ",
    daily_where!(),
    " GROUP BY source"
);

/// Rollup: hits, page views, visitors (merged daily sketches, migration 0008) (binds: sites, from, to).
pub const STATS_EVENTS_DAILY: &str = concat!(
    "SELECT toInt64(sum(hits)), toInt64(sum(pageviews)), toInt64(uniqCombinedMerge(visitors)) ",
    "FROM visitors_daily WHERE ",
    daily_where!()
);

/// Raw, for filtered views.
pub const STATS_SESSIONS_RAW: &str = concat!(
    "SELECT source, toInt64(sum(sign)), toInt64(sum(sign * toInt64(is_bounce))), toInt64(sum(sign * toInt64(duration))), ",
    "toInt64(sum(sign * toInt64(pageviews))) FROM sessions WHERE ",
    sessions_where!(),
    " GROUP BY source"
);

pub const STATS_EVENTS_RAW: &str = concat!(
    "SELECT toInt64(count()), toInt64(countIf(name = 'pageview')), toInt64(uniq(visitor_id)) FROM events WHERE ",
    events_where!()
);

// ---- time series ----

/// Binds: interval, sites, from, to.
pub const TS_SESSIONS_DAILY: &str = concat!(
    "SELECT if(? = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, toInt64(sum(visits)), toInt64(sum(pageviews)) ",
    "FROM sessions_daily WHERE ",
    daily_where!(),
    " GROUP BY t"
);

pub const TS_EVENTS_DAILY: &str = concat!(
    "SELECT if(? = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, toInt64(uniqCombinedMerge(visitors)) ",
    "FROM visitors_daily WHERE ",
    daily_where!(),
    " GROUP BY t"
);

/// Binds: timezone, sites, start_ts, end_ts.
pub const TS_SESSIONS_HOURLY: &str = concat!(
    "SELECT toString(hour, ?) AS t, toInt64(sum(visits)), toInt64(sum(pageviews)) FROM sessions_hourly WHERE ",
    sites_in!(),
    " AND hour >= toDateTime(?) AND hour < toDateTime(?) GROUP BY t"
);

pub const TS_EVENTS_HOURLY: &str = concat!(
    "SELECT toString(hour, ?) AS t, toInt64(uniqMerge(visitors)) FROM events_hourly WHERE ",
    sites_in!(),
    " AND hour >= toDateTime(?) AND hour < toDateTime(?) GROUP BY t"
);

/// Binds: interval, tz, interval, tz, tz, then `SESSIONS_WHERE`.
pub const TS_SESSIONS_RAW: &str = concat!(
    "SELECT multiIf(? = 'hour', toString(toStartOfHour(start), ?), ? = 'month', toString(toStartOfMonth(toDate(start, ?))), ",
    "toString(toDate(start, ?))) AS t, toInt64(sum(sign)), toInt64(sum(sign * toInt64(pageviews))) FROM sessions WHERE ",
    sessions_where!(),
    " GROUP BY t"
);

/// Binds: interval, tz, interval, tz, tz, then `EVENTS_WHERE`.
pub const TS_EVENTS_RAW: &str = concat!(
    "SELECT multiIf(? = 'hour', toString(toStartOfHour(timestamp), ?), ? = 'month', toString(toStartOfMonth(toDate(timestamp, ?))), ",
    "toString(toDate(timestamp, ?))) AS t, toInt64(uniq(visitor_id)), toInt64(countIf(name = 'pageview')) FROM events WHERE ",
    events_where!(),
    " GROUP BY t"
);

// ---- breakdowns ----

/// One statement per session-level dimension; the column comes from this list only.
macro_rules! session_breakdown {
    ($col:literal) => {
        concat!(
            "SELECT dim_key, toInt64(sum(s)) AS visits, toInt64(uniqExact(visitor_id)) AS visitors, toInt64(sum(pv)) AS pageviews, ",
            "toInt64(sum(b)) AS bounces FROM (SELECT session_id, visitor_id, ",
            $col,
            " AS dim_key, sum(toInt64(sign)) AS s, sum(sign * toInt64(pageviews)) AS pv, sum(sign * toInt64(is_bounce)) AS b ",
            "FROM sessions WHERE ",
            sessions_where!(),
            " GROUP BY session_id, visitor_id, dim_key HAVING s > 0) GROUP BY dim_key ORDER BY visits DESC, dim_key LIMIT ?"
        )
    };
}

/// (dimension, SQL). Binds: `SESSIONS_WHERE`, limit.
pub const SESSION_BREAKDOWNS: [(&str, &str); 11] = [
    ("entry_page", session_breakdown!("entry_page")),
    ("exit_page", session_breakdown!("exit_page")),
    ("source", session_breakdown!("source")),
    ("referrer", session_breakdown!("referrer_source")),
    ("utm_campaign", session_breakdown!("utm_campaign")),
    ("country", session_breakdown!("country_code")),
    ("region", session_breakdown!("region")),
    ("city", session_breakdown!("city")),
    ("browser", session_breakdown!("browser")),
    ("os", session_breakdown!("os")),
    ("device", session_breakdown!("device")),
];

/// Pages: visits that viewed the page, their visitors, its page views. Binds: `EVENTS_WHERE`, limit.
pub const PAGE_BREAKDOWN: &str = concat!(
    "SELECT pathname AS dim_key, toInt64(uniqExact(session_id)) AS visits, toInt64(uniqExact(visitor_id)) AS visitors, ",
    "toInt64(count()) AS pageviews FROM events WHERE name = 'pageview' AND ",
    events_where!(),
    " GROUP BY dim_key ORDER BY pageviews DESC, dim_key LIMIT ?"
);

// ---- overview and realtime ----

pub const OVERVIEW_SESSIONS: &str = concat!(
    "SELECT site, toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)) ",
    "FROM sessions_daily WHERE ",
    daily_where!(),
    " GROUP BY site"
);

pub const OVERVIEW_EVENTS: &str = concat!(
    "SELECT site, toInt64(sum(hits)), toInt64(uniqCombinedMerge(visitors)) FROM visitors_daily WHERE ",
    daily_where!(),
    " GROUP BY site"
);

/// Visitors and hits since a moment (binds: sites, since_ts).
pub const REALTIME: &str = concat!(
    "SELECT toInt64(uniq(visitor_id)), toInt64(count()) FROM events WHERE ",
    sites_in!(),
    " AND timestamp >= toDateTime(?) AND session_id != 0"
);

// ---- rollups by dimension (migration 0007) ----

/// One dimension of `sessions_dims_daily` (its name is bound as a value, never spliced).
macro_rules! dims_where {
    () => {
        concat!(daily_where!(), " AND dim = ?")
    };
}

/// Rollup: top values of a session dimension by visits, with visitors merged from daily
/// sketches for the values shown only. Binds: sites, from, to, dim, sites, from, to, dim, limit.
pub const BREAKDOWN_DIMS: &str = concat!(
    "SELECT value, toInt64(sum(visits)) AS v, toInt64(uniqCombinedMerge(visitors)), toInt64(sum(pageviews)), toInt64(sum(bounces)) ",
    "FROM sessions_dims_daily WHERE ",
    dims_where!(),
    " AND value IN (SELECT value FROM sessions_dims_daily WHERE ",
    dims_where!(),
    " GROUP BY value HAVING sum(visits) > 0 ORDER BY sum(visits) DESC, value LIMIT ?)",
    " GROUP BY value ORDER BY v DESC, value"
);

/// Rollup: top exit pages by visits (visits, page views, bounces; no visitors: see 0007, they
/// come from `EXIT_VISITORS_RAW` for the pages returned). Binds: sites, from, to, dim, limit.
pub const BREAKDOWN_DIMS_SUMS: &str = concat!(
    "SELECT value, toInt64(sum(visits)) AS v, toInt64(sum(pageviews)), toInt64(sum(bounces)) ",
    "FROM sessions_dims_daily WHERE ",
    dims_where!(),
    " GROUP BY value HAVING v > 0 ORDER BY v DESC, value LIMIT ?"
);

/// Raw: visitors whose visits (started in the range) ended on each of the exit pages shown,
/// given as an array (the pages `BREAKDOWN_DIMS_SUMS` returned). A visit's rows net to one live
/// state, so a visitor counts for a page when the sign-weighted sum of their rows on it is
/// positive: exact whatever the background merges did. Only the rows of the shown pages are
/// read (PREWHERE on site, start and page), and the page is grouped as its position in the
/// array (a small integer key, much cheaper to hash than the path), returned as that 1-based
/// position. Binds: pages, sites, start_ts, end_ts, pages.
pub const EXIT_VISITORS_RAW: &str = concat!(
    "SELECT toInt64(p), toInt64(countIf(n > 0)) FROM (SELECT indexOf(?, exit_page) AS p, visitor_id, sum(sign) AS n ",
    "FROM sessions PREWHERE ",
    sites_in!(),
    " AND start >= toDateTime(?) AND start < toDateTime(?) AND exit_page IN (SELECT arrayJoin(?)) ",
    "GROUP BY p, visitor_id) GROUP BY p"
);

/// Rollup: top pages by page views; visits and visitors merged from daily sketches for the
/// pages shown only. Binds: sites, from, to, sites, from, to, limit.
pub const PAGE_BREAKDOWN_DAILY: &str = concat!(
    "SELECT pathname, toInt64(uniqCombinedMerge(visits)), toInt64(uniqCombinedMerge(visitors)), toInt64(sum(pageviews)) AS pv ",
    "FROM pages_daily WHERE ",
    daily_where!(),
    " AND pathname IN (SELECT pathname FROM pages_daily WHERE ",
    daily_where!(),
    " GROUP BY pathname ORDER BY sum(pageviews) DESC, pathname LIMIT ?)",
    " GROUP BY pathname ORDER BY pv DESC, pathname"
);

/// Rollup: visits and bounces of the visits that entered on each of the top pages (ranked as
/// `PAGE_BREAKDOWN_DAILY` ranks them, so both run at once). Binds: sites, from, to, sites, from,
/// to, limit.
pub const ENTRY_BOUNCES_DAILY: &str = concat!(
    "SELECT value, toInt64(sum(visits)), toInt64(sum(bounces)) FROM sessions_dims_daily WHERE ",
    daily_where!(),
    " AND dim = 'entry_page' AND value IN (SELECT pathname FROM pages_daily WHERE ",
    daily_where!(),
    " GROUP BY pathname ORDER BY sum(pageviews) DESC, pathname LIMIT ?) GROUP BY value"
);

/// Rollup: headline figures of the visits with one session-dimension value (visits, bounces,
/// duration, page views, hits, visitors). Binds: sites, from, to, dim, value.
pub const STATS_DIMS: &str = concat!(
    "SELECT toInt64(sum(visits)), toInt64(sum(bounces)), toInt64(sum(duration)), toInt64(sum(pageviews)), ",
    "toInt64(sum(hits)), toInt64(uniqCombinedMerge(visitors)) FROM sessions_dims_daily WHERE ",
    dims_where!(),
    " AND value = ?"
);

/// Rollup: a day or month series of the visits with one session-dimension value.
/// Binds: interval, sites, from, to, dim, value.
pub const TS_DIMS: &str = concat!(
    "SELECT if(? = 'month', toString(toStartOfMonth(day)), toString(day)) AS t, toInt64(sum(visits)), ",
    "toInt64(sum(pageviews)), toInt64(uniqCombinedMerge(visitors)) FROM sessions_dims_daily WHERE ",
    dims_where!(),
    " AND value = ? GROUP BY t"
);
