-- Telling people (issue 12): users' email addresses, what each user subscribed to, per-site
-- overrides of the alert rules, the alerts themselves (open → resolved) and every delivery.
-- These are small tables (a few rows per site and day at most), so none is partitioned by month:
-- nothing here is raw traffic data that retention must drop.
-- 18.16 has no `ADD COLUMN IF NOT EXISTS`: the runner treats "column already exists" as done.
ALTER TABLE users ADD COLUMN email String DEFAULT '';

-- One row per user (latest version wins): alert rule keys, report periods, an optional webhook URL.
CREATE TABLE IF NOT EXISTS subscriptions (
    username String,
    alerts Array(String),
    reports Array(String),
    webhook String,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY username;

-- A site's override of one rule's defaults (latest version wins).
CREATE TABLE IF NOT EXISTS alert_settings (
    site String,
    rule String,
    enabled UInt8,
    threshold Float64,
    floor Float64,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (site, rule);

-- One row per alert and state (latest version wins): opened, announced, resolved.
-- `resolved_at` and `notified_at` are 0 until they happen.
CREATE TABLE IF NOT EXISTS alerts (
    id String,
    rule String,
    site String,
    opened_at DateTime,
    resolved_at DateTime,
    notified_at DateTime,
    recovery_sent UInt8,
    detail String,
    version UInt64
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- Every email and webhook sent or given up on, with the number of attempts.
CREATE TABLE IF NOT EXISTS deliveries (
    at DateTime,
    channel String,
    kind String,
    username String,
    recipient String,
    subject String,
    outcome String,
    attempts UInt8,
    error String
) ENGINE = MergeTree()
ORDER BY at;
