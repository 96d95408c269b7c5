-- emc-scanner: what it saw of each registered domain (issue 11). One row per check of a scan
-- (`scan_checks`, the shared name the alerts read), one row per scan (`scans`), and the scans
-- asked for from the dashboard (`scan_requests`). Monthly partitions, dropped by retention.
CREATE TABLE IF NOT EXISTS scan_checks (
    scan_id UUID,
    site String,
    domain String,
    scanned_at DateTime,
    check String,
    outcome Enum8('pass' = 1, 'fail' = 2, 'error' = 3, 'n/a' = 4),
    value String,
    detail String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(scanned_at)
ORDER BY (site, domain, check, scanned_at);

CREATE TABLE IF NOT EXISTS scans (
    scan_id UUID,
    site String,
    domain String,
    scanned_at DateTime,
    duration_ms UInt32,
    trigger String,
    browser UInt8
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(scanned_at)
ORDER BY (site, domain, scanned_at);

CREATE TABLE IF NOT EXISTS scan_requests (
    site String,
    requested_at DateTime,
    requested_by String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(requested_at)
ORDER BY (site, requested_at);
