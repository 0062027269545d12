-- 回访 after each closure (DESIGN.md "After closure"): the callback's state
-- (pending, done, unreachable, not_needed; null for closures before it
-- existed), its due time, the unreached attempts, and when it ended.
ALTER TABLE cases ADD COLUMN callback_state TEXT NULL;
ALTER TABLE cases ADD COLUMN callback_due_at TIMESTAMP NULL;
ALTER TABLE cases ADD COLUMN callback_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN callback_at TIMESTAMP NULL;
-- The clerks' 待回访 queue, overdue (earliest due) first: the pending
-- callbacks are few among all cases.
CREATE INDEX cases_callback_pending ON cases (callback_due_at, id) WHERE callback_state = 'pending';
-- 回访率 and 解决率 through the rollups, like every other figure.
ALTER TABLE case_rollups ADD COLUMN callbacks_needed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN callbacks_made BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN resolved_answered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN resolved_yes BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN callbacks_needed BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN callbacks_made BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN resolved_answered BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN resolved_yes BIGINT NOT NULL DEFAULT 0;
