-- How long each closed case took, fixed when it closes (DEPENDENCIES.md,
-- pitfall 5: date arithmetic differs between the backends).
ALTER TABLE cases ADD COLUMN handling_seconds BIGINT;
ALTER TABLE cases ADD COLUMN handling_workdays INTEGER;

-- The figures' sums per day of receipt (Beijing), channel and department
-- (0: none), kept up to date in the same transaction as every change to a
-- case, so that a year's figures over millions of cases read a few thousand
-- rows. tests/api/figures.rs proves they equal a recount from the cases.
CREATE TABLE case_rollups (
    received_day DATE NOT NULL,
    channel TEXT NOT NULL,
    department_key BIGINT NOT NULL,
    received BIGINT NOT NULL DEFAULT 0,
    closed BIGINT NOT NULL DEFAULT 0,
    closed_on_time BIGINT NOT NULL DEFAULT 0,
    handling_seconds BIGINT NOT NULL DEFAULT 0,
    handling_workdays BIGINT NOT NULL DEFAULT 0,
    rated BIGINT NOT NULL DEFAULT 0,
    satisfied BIGINT NOT NULL DEFAULT 0,
    basically_satisfied BIGINT NOT NULL DEFAULT 0,
    unsatisfied BIGINT NOT NULL DEFAULT 0,
    result_rated BIGINT NOT NULL DEFAULT 0,
    result_satisfied BIGINT NOT NULL DEFAULT 0,
    result_basically_satisfied BIGINT NOT NULL DEFAULT 0,
    result_unsatisfied BIGINT NOT NULL DEFAULT 0,
    reopened_closed BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (received_day, channel, department_key)
);
