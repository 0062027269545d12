-- 签收时限 and 退单 per assignment (DESIGN.md "After closure, time limits on
-- every step"): the case's current assignment must be signed for by
-- accept_due_at, and the background scan records one automatic 督办 when it
-- is not (accept_overdue_recorded_at claims it, as overdue_recorded_at does
-- for the case's due date). Cases assigned before this version have no
-- accept_due_at and are never pressed automatically.
ALTER TABLE cases ADD COLUMN accept_due_at TIMESTAMP NULL;
ALTER TABLE cases ADD COLUMN accept_overdue_recorded_at TIMESTAMP NULL;
CREATE INDEX cases_accept_pending ON cases (accept_due_at)
    WHERE state = 'assigned' AND accept_overdue_recorded_at IS NULL AND accept_due_at IS NOT NULL;
-- Every assignment a department got, and what it did with it: the 按时签收率
-- and 退单率 are the department's own, whichever department holds the case
-- now, so they cannot be read off the case row. received_day keys the
-- assignment to the period its case counts in, as the rollups do.
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
    ended_at TIMESTAMP NULL
);
CREATE INDEX assignments_case ON assignments (case_id, id);
CREATE INDEX assignments_department ON assignments (department_id, received_day);
-- The same figures through the rollups, keyed by the assignment's department.
ALTER TABLE case_rollups ADD COLUMN assignments BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN accepted_on_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN assignments BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN accepted_on_time BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN returns BIGINT NOT NULL DEFAULT 0;
