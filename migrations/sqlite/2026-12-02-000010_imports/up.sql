-- Imports of cases from spreadsheets (issue 15): one row per run with its
-- counts, and the rows it refused with the reason, for the refused-rows file.
CREATE TABLE imports (
    id INTEGER PRIMARY KEY,
    file_name TEXT NOT NULL,
    format TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    state TEXT NOT NULL,
    headers TEXT NOT NULL,
    rows_total INTEGER NOT NULL DEFAULT 0,
    rows_new INTEGER NOT NULL DEFAULT 0,
    rows_updated INTEGER NOT NULL DEFAULT 0,
    rows_unchanged INTEGER NOT NULL DEFAULT 0,
    rows_refused INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_by BIGINT REFERENCES users (id),
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);

CREATE TABLE import_refusals (
    id INTEGER PRIMARY KEY,
    import_id BIGINT NOT NULL REFERENCES imports (id),
    line INTEGER NOT NULL,
    cells TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE INDEX import_refusals_import ON import_refusals (import_id, line);
