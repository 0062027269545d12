-- The leaders' digest (issue 23): none (the default), weekly or monthly.
ALTER TABLE users ADD COLUMN digest TEXT NOT NULL DEFAULT 'none';
-- One row per account and period a digest was written for, in the same
-- transaction as its mail: the key makes each digest exactly once across
-- instances and restarts.
CREATE TABLE digests_sent (
    user_id BIGINT NOT NULL REFERENCES users (id),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    written_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, period_start, period_end)
);
