DROP INDEX cases_published;
ALTER TABLE cases DROP COLUMN published_by;
ALTER TABLE cases DROP COLUMN published_at;
