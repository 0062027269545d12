-- What anonymous clients did, per address, for the limits on public
-- requests (letters, look-ups, ratings). Kept a day, then purged.
CREATE TABLE public_requests (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    client TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX public_requests_kind_client_at ON public_requests (kind, client, at);
