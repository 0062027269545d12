ALTER TABLE case_rollups_monthly DROP COLUMN ratings_excluded;
ALTER TABLE case_rollups DROP COLUMN ratings_excluded;
DROP INDEX cases_rectification_outstanding;
ALTER TABLE cases DROP COLUMN rating_excluded_at;
ALTER TABLE cases DROP COLUMN appeal_note;
ALTER TABLE cases DROP COLUMN appeal_reason;
ALTER TABLE cases DROP COLUMN rectification_due_at;
ALTER TABLE cases DROP COLUMN rectification_state;
