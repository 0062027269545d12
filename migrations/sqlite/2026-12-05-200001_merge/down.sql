-- Merged cases go back to the office's intake before `merged` is refused again.
UPDATE cases SET state = 'registered' WHERE state = 'merged';
ALTER TABLE case_rollups_monthly DROP COLUMN merged;
ALTER TABLE case_rollups DROP COLUMN merged;
DROP INDEX cases_merged_into;
ALTER TABLE cases DROP COLUMN merged_into;
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (state IN (''registered'', ''assigned'', ''processing'', ''reviewing'', ''closed'', ''invalid'', ''merged''))',
       'CHECK (state IN (''registered'', ''assigned'', ''processing'', ''reviewing'', ''closed'', ''invalid''))')
 WHERE type = 'table' AND name = 'cases';
PRAGMA writable_schema = RESET;
