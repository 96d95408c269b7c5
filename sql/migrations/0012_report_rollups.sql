-- Rollups for the reports that used to read a year of raw rows: compliance (shares, p75s,
-- failing pages), connection health, the hourly series' visitors, and exit-page visitors.
-- Days are cut in the configured timezone, as in 0004. Every table is partitioned by month
-- and managed by retention with the other rollups.
--
-- compliance_daily: per site and day, the Circular 22 counts of `dashboard/src/compliance.rs`
-- (thresholds FCP < 3000, LCP < 4000, load < 5800, response < 600 ms; a timing counts for the
-- loads that reported it) and a p75 state per timing over those loads.
CREATE TABLE IF NOT EXISTS compliance_daily (
    site String,
    day Date,
    pageviews Int64,
    labelled Int64,
    dc_complete Int64,
    https Int64,
    loads Int64,
    fcp_n Int64,
    fcp_ok Int64,
    lcp_n Int64,
    lcp_ok Int64,
    load_n Int64,
    load_ok Int64,
    response_n Int64,
    response_ok Int64,
    fcp_p75 AggregateFunction(quantile(0.75), Float64),
    lcp_p75 AggregateFunction(quantile(0.75), Float64),
    load_p75 AggregateFunction(quantile(0.75), Float64),
    response_p75 AggregateFunction(quantile(0.75), Float64)
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS compliance_daily_mv TO compliance_daily AS
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    toInt64(countIf(name = 'pageview' AND emc_label = 1)) AS labelled,
    toInt64(countIf(name = 'pageview' AND hasAll(dc_elements, ['Title', 'Creator', 'Date', 'Publisher', 'Description', 'Identifier']))) AS dc_complete,
    toInt64(countIf(name = 'pageview' AND is_https = 1)) AS https,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS loads,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS fcp_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND fcp < 3000)) AS fcp_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND lcp > 0)) AS lcp_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND lcp > 0 AND lcp < 4000)) AS lcp_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND load > 0)) AS load_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND load > 0 AND load < 5800)) AS load_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND response > 0)) AS response_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND response > 0 AND response < 600)) AS response_ok,
    quantileStateIf(0.75)(toFloat64(fcp), name = 'engagement' AND fcp > 0) AS fcp_p75,
    quantileStateIf(0.75)(toFloat64(lcp), name = 'engagement' AND fcp > 0 AND lcp > 0) AS lcp_p75,
    quantileStateIf(0.75)(toFloat64(load), name = 'engagement' AND fcp > 0 AND load > 0) AS load_p75,
    quantileStateIf(0.75)(toFloat64(response), name = 'engagement' AND fcp > 0 AND response > 0) AS response_p75
FROM events
GROUP BY site, day;

-- failing_pages_daily: per site, day and page, the failures of `compliance.rs` (loads with any
-- reported timing at or over its threshold, page views missing a DC element, without the label,
-- over plain HTTP) with the loads and page views they are out of.
CREATE TABLE IF NOT EXISTS failing_pages_daily (
    site String,
    day Date,
    pathname String,
    page_loads Int64,
    slow_loads Int64,
    pageviews Int64,
    missing_dc Int64,
    unlabelled Int64,
    insecure Int64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, pathname);

CREATE MATERIALIZED VIEW IF NOT EXISTS failing_pages_daily_mv TO failing_pages_daily AS
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    pathname,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS page_loads,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND (fcp >= 3000 OR lcp >= 4000 OR load >= 5800 OR response >= 600))) AS slow_loads,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    toInt64(countIf(name = 'pageview' AND NOT hasAll(dc_elements, ['Title', 'Creator', 'Date', 'Publisher', 'Description', 'Identifier']))) AS missing_dc,
    toInt64(countIf(name = 'pageview' AND emc_label = 0)) AS unlabelled,
    toInt64(countIf(name = 'pageview' AND is_https = 0)) AS insecure
FROM events
WHERE name = 'pageview' OR (name = 'engagement' AND fcp > 0)
GROUP BY site, day, pathname;

-- connections_daily: requests per site, day and reason of the connection log (a row stands for
-- `count` requests, 0014), and the newest request of each (connection health reads the newest
-- accepted one).
CREATE TABLE IF NOT EXISTS connections_daily (
    site String,
    day Date,
    reason String,
    requests Int64,
    last_at AggregateFunction(max, DateTime)
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, reason)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS connections_daily_mv TO connections_daily AS
SELECT
    site,
    toDate(received_at, '{timezone}') AS day,
    reason,
    toInt64(sum(count)) AS requests,
    maxState(received_at) AS last_at
FROM connection_log
GROUP BY site, day, reason;

-- visitors_hourly: the hourly series' hits, page views and visitors, with the one visitor
-- sketch of every report (uniqCombined, as visitors_daily in 0008), so an hour's visitors are
-- counted as a day's are.
CREATE TABLE IF NOT EXISTS visitors_hourly (
    site String,
    hour DateTime,
    hits Int64,
    pageviews Int64,
    visitors AggregateFunction(uniqCombined, UInt64)
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour)
SETTINGS index_granularity = 64;

CREATE MATERIALIZED VIEW IF NOT EXISTS visitors_hourly_mv TO visitors_hourly AS
SELECT
    site,
    toStartOfHour(timestamp) AS hour,
    toInt64(count()) AS hits,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    uniqCombinedState(visitor_id) AS visitors
FROM events
WHERE session_id != 0
GROUP BY site, hour;

-- exit_visitors_daily: per site, exit page, day of the visit's start and visitor, the
-- sign-weighted number of that visitor's visits that day ending on that page. A visit's exit
-- page moves as it goes on, and a sketch cannot forget a superseded state; but a sum can: the
-- -1 row of the old state cancels its +1, and SummingMergeTree drops the rows that net to 0.
-- So the table converges to one row per (page, day, visitor) that really ended a visit there,
-- and the exit-page breakdown counts a page's visitors among the rows of the pages it shows
-- (the sort key starts with the page) instead of reading a year of `sessions`.
CREATE TABLE IF NOT EXISTS exit_visitors_daily (
    site String,
    exit_page String,
    day Date,
    visitor_id UInt64,
    visits Int64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, exit_page, day, visitor_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS exit_visitors_daily_mv TO exit_visitors_daily AS
SELECT
    site,
    exit_page,
    toDate(start, '{timezone}') AS day,
    visitor_id,
    sum(toInt64(sign)) AS visits
FROM sessions
GROUP BY site, exit_page, day, visitor_id;

-- Backfill, as in 0007: the views only see rows inserted after they exist. Apply before the
-- collector serves (it migrates first). Not idempotent: the runner records the migration right
-- after these statements.
INSERT INTO compliance_daily (site, day, pageviews, labelled, dc_complete, https, loads, fcp_n, fcp_ok, lcp_n, lcp_ok, load_n, load_ok, response_n, response_ok, fcp_p75, lcp_p75, load_p75, response_p75)
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    toInt64(countIf(name = 'pageview' AND emc_label = 1)) AS labelled,
    toInt64(countIf(name = 'pageview' AND hasAll(dc_elements, ['Title', 'Creator', 'Date', 'Publisher', 'Description', 'Identifier']))) AS dc_complete,
    toInt64(countIf(name = 'pageview' AND is_https = 1)) AS https,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS loads,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS fcp_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND fcp < 3000)) AS fcp_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND lcp > 0)) AS lcp_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND lcp > 0 AND lcp < 4000)) AS lcp_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND load > 0)) AS load_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND load > 0 AND load < 5800)) AS load_ok,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND response > 0)) AS response_n,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND response > 0 AND response < 600)) AS response_ok,
    quantileStateIf(0.75)(toFloat64(fcp), name = 'engagement' AND fcp > 0) AS fcp_p75,
    quantileStateIf(0.75)(toFloat64(lcp), name = 'engagement' AND fcp > 0 AND lcp > 0) AS lcp_p75,
    quantileStateIf(0.75)(toFloat64(load), name = 'engagement' AND fcp > 0 AND load > 0) AS load_p75,
    quantileStateIf(0.75)(toFloat64(response), name = 'engagement' AND fcp > 0 AND response > 0) AS response_p75
FROM events
GROUP BY site, day;

INSERT INTO failing_pages_daily (site, day, pathname, page_loads, slow_loads, pageviews, missing_dc, unlabelled, insecure)
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    pathname,
    toInt64(countIf(name = 'engagement' AND fcp > 0)) AS page_loads,
    toInt64(countIf(name = 'engagement' AND fcp > 0 AND (fcp >= 3000 OR lcp >= 4000 OR load >= 5800 OR response >= 600))) AS slow_loads,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    toInt64(countIf(name = 'pageview' AND NOT hasAll(dc_elements, ['Title', 'Creator', 'Date', 'Publisher', 'Description', 'Identifier']))) AS missing_dc,
    toInt64(countIf(name = 'pageview' AND emc_label = 0)) AS unlabelled,
    toInt64(countIf(name = 'pageview' AND is_https = 0)) AS insecure
FROM events
WHERE name = 'pageview' OR (name = 'engagement' AND fcp > 0)
GROUP BY site, day, pathname;

INSERT INTO connections_daily (site, day, reason, requests, last_at)
SELECT
    site,
    toDate(received_at, '{timezone}') AS day,
    reason,
    toInt64(sum(count)) AS requests,
    maxState(received_at) AS last_at
FROM connection_log
GROUP BY site, day, reason;

INSERT INTO visitors_hourly (site, hour, hits, pageviews, visitors)
SELECT
    site,
    toStartOfHour(timestamp) AS hour,
    toInt64(count()) AS hits,
    toInt64(countIf(name = 'pageview')) AS pageviews,
    uniqCombinedState(visitor_id) AS visitors
FROM events
WHERE session_id != 0
GROUP BY site, hour;

INSERT INTO exit_visitors_daily (site, exit_page, day, visitor_id, visits)
SELECT
    site,
    exit_page,
    toDate(start, '{timezone}') AS day,
    visitor_id,
    sum(toInt64(sign)) AS visits
FROM sessions
GROUP BY site, exit_page, day, visitor_id;

OPTIMIZE TABLE compliance_daily FINAL;
OPTIMIZE TABLE failing_pages_daily FINAL;
OPTIMIZE TABLE connections_daily FINAL;
OPTIMIZE TABLE visitors_hourly FINAL;
OPTIMIZE TABLE exit_visitors_daily FINAL;
