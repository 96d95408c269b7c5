-- Every row carries the id of the spooled request group it came from (events has had one
-- since 0001), so a replay after a crash or a retried insert first asks ClickHouse which
-- groups already landed in each table and inserts every group exactly once.
-- 18.16 has no `ADD COLUMN IF NOT EXISTS`: the runner treats "column already exists"
-- of an `ALTER TABLE … ADD COLUMN` as done.
ALTER TABLE sessions ADD COLUMN batch_id UInt64 DEFAULT 0;
ALTER TABLE connection_log ADD COLUMN batch_id UInt64 DEFAULT 0;
