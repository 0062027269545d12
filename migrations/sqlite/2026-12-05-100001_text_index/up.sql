-- The letters' text index (issue 24): which cases hold each term — a
-- bigram of normalised characters, or a key of the citizen's phone, email,
-- or name and address (src/domain/text.rs). Kept by the service in the same
-- transaction as the case. Term first, so a term's cases are one range of
-- keys, newest last; WITHOUT ROWID keeps it one B-tree.
CREATE TABLE case_terms (
    term BIGINT NOT NULL,
    case_id BIGINT NOT NULL,
    PRIMARY KEY (term, case_id)
) WITHOUT ROWID;
-- Cases registered before the index existed are indexed at start, in
-- batches (`db::search::backfill`): up to `upto`, done up to `done_through`.
-- Every case after `upto` is indexed as it is stored.
CREATE TABLE text_index_backfill (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    upto BIGINT NOT NULL,
    done_through BIGINT NOT NULL
);
INSERT INTO text_index_backfill (id, upto, done_through) SELECT 1, COALESCE(MAX(id), 0), 0 FROM cases;
