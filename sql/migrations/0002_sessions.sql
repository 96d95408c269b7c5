-- One logical row per visit (= session). Every change of a session writes its previous
-- state with sign = -1 and its new state with sign = +1, so sign-weighted sums are exact
-- before and after background merges.
CREATE TABLE IF NOT EXISTS sessions (
    site String,
    session_id UInt64,
    sign Int8,
    visitor_id UInt64,
    start DateTime,
    timestamp DateTime,
    hostname String,
    entry_page String,
    exit_page String,
    pageviews UInt32,
    events UInt32,
    duration UInt32,
    is_bounce UInt8,
    referrer String,
    referrer_source String,
    source String,
    utm_source String,
    utm_medium String,
    utm_campaign String,
    utm_content String,
    utm_term String,
    country_code String,
    region String,
    city String,
    browser String,
    os String,
    device String,
    screen_width UInt16
) ENGINE = CollapsingMergeTree(sign)
PARTITION BY toYYYYMM(start)
ORDER BY (site, toDate(start), session_id);
