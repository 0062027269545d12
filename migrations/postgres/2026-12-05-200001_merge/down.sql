-- Merged cases go back to the office's intake before `merged` is refused again.
UPDATE cases SET state = 'registered' WHERE state = 'merged';
ALTER TABLE cases DROP CONSTRAINT cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check
    CHECK (state IN ('registered', 'assigned', 'processing', 'reviewing', 'closed', 'invalid'));
ALTER TABLE case_rollups_monthly DROP COLUMN merged;
ALTER TABLE case_rollups DROP COLUMN merged;
DROP INDEX cases_merged_into;
ALTER TABLE cases DROP COLUMN merged_into;
