-- 热点 (issue 24): how many cases received each day (and each month) hold a
-- word of their title, or a category (written `#` and its code; a word
-- never begins with `#`), per channel and department — the same key as
-- case_rollups, so `/stats/topics` reads a year from a few hundred
-- thousand rows at most, and a case's department change moves its words as
-- it moves its figures. Only cases counted as received count here. Kept by
-- the service in the case's own transaction (db::topics). The words come
-- from a dictionary segmenter, so they cannot be made in SQL: the service
-- builds the rows of earlier cases at its first start (built_at).
CREATE TABLE topic_rollups (
    received_day DATE NOT NULL,
    channel TEXT NOT NULL,
    department_key BIGINT NOT NULL,
    term TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (received_day, channel, department_key, term)
) WITHOUT ROWID;
CREATE TABLE topic_rollups_monthly (
    received_month DATE NOT NULL,
    channel TEXT NOT NULL,
    department_key BIGINT NOT NULL,
    term TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (received_month, channel, department_key, term)
) WITHOUT ROWID;
-- The same counts without channel and department, for the whole office's
-- view (the dashboard's default): a day holds one row per word, where the
-- keyed table holds one per word, channel and department.
CREATE TABLE topic_totals (
    received_day DATE NOT NULL,
    term TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (received_day, term)
) WITHOUT ROWID;
CREATE TABLE topic_totals_monthly (
    received_month DATE NOT NULL,
    term TEXT NOT NULL,
    cases BIGINT NOT NULL,
    PRIMARY KEY (received_month, term)
) WITHOUT ROWID;
CREATE TABLE topic_rollups_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    built_at TIMESTAMP NULL
);
INSERT INTO topic_rollups_state (id, built_at) VALUES (1, NULL);
