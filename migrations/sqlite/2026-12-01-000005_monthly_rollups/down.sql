DROP TABLE case_rollups_monthly;
CREATE TABLE case_rollups_with_rowid (
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
INSERT INTO case_rollups_with_rowid SELECT * FROM case_rollups;
DROP TABLE case_rollups;
ALTER TABLE case_rollups_with_rowid RENAME TO case_rollups;
