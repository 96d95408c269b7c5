-- Registry: small tables, ReplacingMergeTree(version) read with FINAL, cached by the services.
CREATE TABLE IF NOT EXISTS agencies (
    id String,
    name String,
    group_kind String,
    parent String,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY id;

-- Contact fields follow Circular 22/2023 Appendix I.
CREATE TABLE IF NOT EXISTS sites (
    code String,
    name String,
    domains Array(String),
    kind String,
    parent String,
    agency String,
    created_at DateTime,
    legal_rep_name String,
    legal_rep_title String,
    contact_name String,
    contact_title String,
    contact_address String,
    contact_phone String,
    contact_email String,
    contact_other String,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY code;

CREATE TABLE IF NOT EXISTS users (
    username String,
    password_hash String,
    role String,
    agencies Array(String),
    created_at DateTime,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY username;

CREATE TABLE IF NOT EXISTS api_tokens (
    token_hash String,
    username String,
    created_at DateTime,
    expires_at DateTime,
    version UInt64,
    deleted UInt8
) ENGINE = ReplacingMergeTree(version)
ORDER BY token_hash;

CREATE TABLE IF NOT EXISTS audit_log (
    at DateTime,
    actor String,
    action String,
    target String,
    detail String
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(at)
ORDER BY (at, actor);
