DROP INDEX login_failures_client_at;
ALTER TABLE login_failures DROP COLUMN client;
