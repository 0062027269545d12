-- 差评整改, 申诉 and 复核 (DESIGN.md "After closure"): the rectification a
-- 差评 or an unsolved problem opens (open, appealed, upheld, rejected, done;
-- null while none was ever needed) and its due time; the department's
-- appeal and the leader's decision, as the case page shows them; and when
-- the rating in force was 核减 (null: it counts).
ALTER TABLE cases ADD COLUMN rectification_state TEXT NULL;
ALTER TABLE cases ADD COLUMN rectification_due_at TIMESTAMP NULL;
ALTER TABLE cases ADD COLUMN appeal_reason TEXT NULL;
ALTER TABLE cases ADD COLUMN appeal_note TEXT NULL;
ALTER TABLE cases ADD COLUMN rating_excluded_at TIMESTAMP NULL;
-- The 待整改 and 待复核 queues and the risk board's overdue rectifications,
-- earliest due first: outstanding rectifications are few among all cases.
CREATE INDEX cases_rectification_outstanding ON cases (rectification_due_at, id)
    WHERE rectification_state IN ('open', 'appealed', 'rejected');
-- 核减 through the rollups, like every other figure.
ALTER TABLE case_rollups ADD COLUMN ratings_excluded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN ratings_excluded BIGINT NOT NULL DEFAULT 0;
