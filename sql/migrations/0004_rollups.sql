-- Hourly and daily rollups fed by materialized views. Reports and ranking read these,
-- never a year of raw events. Daily rollups cut days in the configured timezone.
CREATE TABLE IF NOT EXISTS events_hourly (
    site String,
    hour DateTime,
    hits AggregateFunction(count),
    pageviews AggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_hourly_mv TO events_hourly AS
SELECT
    site,
    toStartOfHour(timestamp) AS hour,
    countState() AS hits,
    sumState(toUInt64(name = 'pageview')) AS pageviews,
    uniqState(visitor_id) AS visitors
FROM events
WHERE session_id != 0
GROUP BY site, hour;

CREATE TABLE IF NOT EXISTS events_daily (
    site String,
    day Date,
    hits AggregateFunction(count),
    pageviews AggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day);

CREATE MATERIALIZED VIEW IF NOT EXISTS events_daily_mv TO events_daily AS
SELECT
    site,
    toDate(timestamp, '{timezone}') AS day,
    countState() AS hits,
    sumState(toUInt64(name = 'pageview')) AS pageviews,
    uniqState(visitor_id) AS visitors
FROM events
WHERE session_id != 0
GROUP BY site, day;

CREATE TABLE IF NOT EXISTS sessions_hourly (
    site String,
    hour DateTime,
    source String,
    visits Int64,
    bounces Int64,
    duration Int64,
    pageviews Int64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(hour)
ORDER BY (site, hour, source);

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_hourly_mv TO sessions_hourly AS
SELECT
    site,
    toStartOfHour(start) AS hour,
    source,
    sum(toInt64(sign)) AS visits,
    sum(sign * toInt64(is_bounce)) AS bounces,
    sum(sign * toInt64(duration)) AS duration,
    sum(sign * toInt64(pageviews)) AS pageviews
FROM sessions
GROUP BY site, hour, source;

CREATE TABLE IF NOT EXISTS sessions_daily (
    site String,
    day Date,
    source String,
    visits Int64,
    bounces Int64,
    duration Int64,
    pageviews Int64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMM(day)
ORDER BY (site, day, source);

CREATE MATERIALIZED VIEW IF NOT EXISTS sessions_daily_mv TO sessions_daily AS
SELECT
    site,
    toDate(start, '{timezone}') AS day,
    source,
    sum(toInt64(sign)) AS visits,
    sum(sign * toInt64(is_bounce)) AS bounces,
    sum(sign * toInt64(duration)) AS duration,
    sum(sign * toInt64(pageviews)) AS pageviews
FROM sessions
GROUP BY site, day, source;
