-- Per-site overrides of the alert rules (issue 12), set with `PUT /api/v1/sites/{code}/alert-rules`
-- or the form on `/alerts`: one row per (site, rule), the newest `version` wins; a NULL field
-- keeps the rule's documented default. Supersedes `alert_settings` (which had no writer and
-- could not say "default" for one field); the evaluator reads only this table.
-- Small (at most seven rows per site), so not partitioned: retention has nothing to drop.
CREATE TABLE IF NOT EXISTS alert_rule_overrides (
    site String,
    rule String,
    enabled Nullable(UInt8),
    threshold Nullable(Float64),
    floor Nullable(Float64),
    cooldown_secs Nullable(UInt32),
    author String,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY (site, rule);
