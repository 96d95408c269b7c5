-- One row per request to the collector, accepted or rejected (Circular 22/2023 Art. 8.3:
-- kept at least 365 days). The client address is stored truncated (IPv4 /24, IPv6 /48).
CREATE TABLE IF NOT EXISTS connection_log (
    received_at DateTime,
    received_ms UInt16,
    site String,
    endpoint String,
    status UInt16,
    reason String,
    hostname String,
    client_net String,
    user_agent String,
    bytes UInt32,
    latency_us UInt32
) ENGINE = MergeTree()
PARTITION BY toYYYYMM(received_at)
ORDER BY (site, received_at);
