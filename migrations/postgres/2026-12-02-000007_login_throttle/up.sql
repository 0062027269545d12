-- Failed logins are counted per (username, client address), and per address
-- across usernames, so that guessing from one address cannot lock out the
-- account's owner at another. Earlier rows have no address.
ALTER TABLE login_failures ADD COLUMN client TEXT NOT NULL DEFAULT '';
CREATE INDEX login_failures_client_at ON login_failures (client, at);
