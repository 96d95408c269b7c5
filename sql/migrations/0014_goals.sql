-- Goals (issue 15): a conversion is a visit with a hit that completes the goal — a custom
-- event by name (`event_name`, e.g. `dvc`, the DVC dossier submission) or a page view whose
-- path matches `page_pattern` (`*` stands for any run of characters). A goal belongs to one
-- site (`site`) or to one agency (`agency`: every site of that agency and beneath it); the
-- other column is empty. A small registry-like table (latest version wins, `deleted` marks a
-- removed goal), not partitioned: nothing here is traffic that retention must drop.
CREATE TABLE IF NOT EXISTS goals (
    id String,
    site String,
    agency String,
    name String,
    event_name String,
    page_pattern String,
    created_by String,
    created_at DateTime,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
