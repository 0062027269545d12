ALTER TABLE case_rollups_monthly DROP COLUMN returns;
ALTER TABLE case_rollups_monthly DROP COLUMN accepted_on_time;
ALTER TABLE case_rollups_monthly DROP COLUMN assignments;
ALTER TABLE case_rollups DROP COLUMN returns;
ALTER TABLE case_rollups DROP COLUMN accepted_on_time;
ALTER TABLE case_rollups DROP COLUMN assignments;
DROP TABLE assignments;
ALTER TABLE cases DROP COLUMN accept_due_at;
