-- A connection-log row may stand for several requests: the collector counts refused requests
-- (and bots dropped with a 202) in memory and writes one row per minute, site, endpoint,
-- status, reason, client network and refused hostname, with how many requests it holds, so
-- that refusals never cost an fsync or spool space. Accepted requests keep one row each
-- (count 1). Every reader weights by it: `sum(count)`, never `count()`.
ALTER TABLE connection_log ADD COLUMN count UInt32 DEFAULT 1;
