DROP TABLE digests_sent;
ALTER TABLE users DROP COLUMN digest;
