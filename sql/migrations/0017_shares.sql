-- Shared links (issue 15): a revocable read-only link to one site's report, `/share/TOKEN`.
-- Only the SHA-256 of the token is kept (`token_hash`, as API tokens are); `password_hash` is
-- an argon2id PHC string, or empty for a link without a password. A small registry-like table
-- (latest version wins, `deleted` marks a revoked link), not partitioned: nothing here is
-- traffic that retention must drop.
CREATE TABLE IF NOT EXISTS shares (
    id String,
    site String,
    token_hash String,
    password_hash String,
    created_by String,
    created_at DateTime,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;
