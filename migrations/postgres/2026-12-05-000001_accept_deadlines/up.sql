-- 签收时限 and 退单 per assignment (DESIGN.md "After closure, time limits on
-- every step"): the case's current assignment must be signed for by
-- accept_due_at. Cases assigned before this version have none.
ALTER TABLE cases ADD COLUMN accept_due_at TIMESTAMP NULL;
-- Every assignment a department got, and what it did with it: the 按时签收率
-- and 退单率 are the department's own, whichever department holds the case
-- now, so they cannot be read off the case row. received_day keys the
-- assignment to the period its case counts in, as the rollups do. pressed_at
-- claims the one automatic 督办 of an assignment not signed for in time, as
-- overdue_recorded_at does for the case's due date; cases assigned before
-- this version have no assignment and are never pressed.
CREATE TABLE assignments (
    id BIGSERIAL PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES cases (id),
    department_id BIGINT NOT NULL REFERENCES departments (id),
    channel TEXT NOT NULL,
    received_day DATE NOT NULL,
    assigned_at TIMESTAMP NOT NULL,
    accept_due_at TIMESTAMP NOT NULL,
    accepted_at TIMESTAMP NULL,
    returned_at TIMESTAMP NULL,
    return_reason_code TEXT NULL,
    ended_at TIMESTAMP NULL,
    pressed_at TIMESTAMP NULL
);
CREATE INDEX assignments_case ON assignments (case_id, id);
CREATE INDEX assignments_department ON assignments (department_id, received_day);
-- The scan's candidates: assignments waiting to be signed for, not yet pressed.
CREATE INDEX assignments_waiting ON assignments (accept_due_at)
    WHERE accepted_at IS NULL AND returned_at IS NULL AND ended_at IS NULL AND pressed_at IS NULL;
-- The same figures through the rollups, keyed by the assignment's department.
ALTER TABLE case_rollups ADD COLUMN assignments BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN accepted_on_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN assignments BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN accepted_on_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
