-- Rollups by dimension, so a breakdown over a year reads one row per (site, day, value)
-- instead of every visit or hit. Days are cut in the configured timezone, as in 0004.
-- A value's days are contiguous in the sort key and granules are small: a breakdown merges the
-- sketches of the values it shows, and a granule read is a granule of sketches deserialized.
-- The sketches are uniqCombined: exact up to thousands of ids, then a 2^17-cell HyperLogLog;
-- on 18.16 they merge faster than `uniq` and err less over a year of a large portal.
--
-- sessions_dims_daily: per day of the visit's start and per session column (the names are the
-- dashboard's breakdown dimensions), sign-weighted sums that are exact under collapsing, as in
-- sessions_daily, and a sketch of the visitor ids of those visits. Every column here but
-- exit_page is fixed when a visit opens, so both rows of a change carry the same value and the
-- same visitor. exit_page moves while a visit goes on: its sums stay exact, but a sketch cannot
-- forget the visitor of a superseded state, so its `visitors` must not be read (the dashboard
-- takes exit-page visitors from `sessions`).
CREATE TABLE IF NOT EXISTS sessions_dims_daily (
    site String,
    day Date,
    dim String,
    value String,
    visits Int64,
    bounces Int64,
    duration Int64,
    pageviews Int64,
    hits Int64,
    visitors AggregateFunction(uniqCombined, UInt64)
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, dim, value, day)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_dims_daily_mv TO sessions_dims_daily AS
SELECT
    site,
    toDate(start, '{timezone}') AS day,
    dim,
    value,
    sum(toInt64(sign)) AS visits,
    sum(sign * toInt64(is_bounce)) AS bounces,
    sum(sign * toInt64(duration)) AS duration,
    sum(sign * toInt64(pageviews)) AS pageviews,
    sum(sign * toInt64(events)) AS hits,
    uniqCombinedState(visitor_id) AS visitors
FROM sessions
ARRAY JOIN
    ['entry_page', 'exit_page', 'source', 'referrer', 'utm_campaign', 'country', 'region', 'city', 'browser', 'os', 'device'] AS dim,
    [entry_page, exit_page, source, referrer_source, utm_campaign, country_code, region, city, browser, os, device] AS value
GROUP BY site, day, dim, value;

-- pages_daily: page views per page and day of the hit, with sketches of the visits (session
-- ids) and visitors that viewed the page.
CREATE TABLE IF NOT EXISTS pages_daily (
    site String,
    day Date,
    pathname String,
    pageviews Int64,
    visits AggregateFunction(uniqCombined, UInt64),
    visitors AggregateFunction(uniqCombined, UInt64)
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, pathname, day)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS pages_daily_mv TO pages_daily AS
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    pathname,
    toInt64(count()) AS pageviews,
    uniqCombinedState(session_id) AS visits,
    uniqCombinedState(visitor_id) AS visitors
FROM events
WHERE name = 'pageview' AND session_id != 0
GROUP BY site, day, pathname;

-- Backfill: the views above only see rows inserted after they exist, so the rows already
-- stored are rolled up once here. Rows inserted between a view's creation and its backfill
-- would count twice: apply this migration before the collector serves (it migrates first,
-- and `make up` starts it first). Not idempotent: the runner records the migration right
-- after these statements.
INSERT INTO sessions_dims_daily (site, day, dim, value, visits, bounces, duration, pageviews, hits, visitors)
SELECT
    site,
    toDate(start, '{timezone}') AS day,
    dim,
    value,
    sum(toInt64(sign)) AS visits,
    sum(sign * toInt64(is_bounce)) AS bounces,
    sum(sign * toInt64(duration)) AS duration,
    sum(sign * toInt64(pageviews)) AS pageviews,
    sum(sign * toInt64(events)) AS hits,
    uniqCombinedState(visitor_id) AS visitors
FROM sessions
ARRAY JOIN
    ['entry_page', 'exit_page', 'source', 'referrer', 'utm_campaign', 'country', 'region', 'city', 'browser', 'os', 'device'] AS dim,
    [entry_page, exit_page, source, referrer_source, utm_campaign, country_code, region, city, browser, os, device] AS value
GROUP BY site, day, dim, value;

INSERT INTO pages_daily (site, day, pathname, pageviews, visits, visitors)
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    pathname,
    toInt64(count()) AS pageviews,
    uniqCombinedState(session_id) AS visits,
    uniqCombinedState(visitor_id) AS visitors
FROM events
WHERE name = 'pageview' AND session_id != 0
GROUP BY site, day, pathname;

-- The backfill lands as several parts per month, each holding a share of every (value, day)
-- sketch: merge them now rather than whenever the background merges get to it.
OPTIMIZE TABLE sessions_dims_daily FINAL;
OPTIMIZE TABLE pages_daily FINAL;
