-- Annotations (issue 15): a dated note drawn on a report's chart — a deployment, a campaign,
-- an incident — from `date` to `end_date` (equal for one day). It belongs to one site
-- (`site`) or to one agency (`agency`, shown on the reports of its sites and of the agencies
-- beneath it); the other column is empty. A small registry-like table (latest version wins,
-- `deleted` marks a removed note), not partitioned: nothing here is traffic for retention.
CREATE TABLE IF NOT EXISTS annotations (
    id String,
    site String,
    agency String,
    date Date,
    end_date Date,
    text String,
    created_by String,
    created_at DateTime,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
