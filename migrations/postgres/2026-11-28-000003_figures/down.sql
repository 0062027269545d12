DROP TABLE case_rollups;
ALTER TABLE cases DROP COLUMN handling_workdays;
ALTER TABLE cases DROP COLUMN handling_seconds;
