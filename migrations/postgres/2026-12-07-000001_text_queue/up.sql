-- Cases registered one by one whose text is not yet in the text index
-- (case_terms) nor in the 热点 counts (issue 24). An intake adds one row here,
-- in its own transaction, instead of a hundred index rows with keys all over
-- the index and four counts: the service's indexer moves the queue into
-- both in batches (src/indexer.rs), where each index page and count row is
-- written once for many cases. Every read of the index or the counts adds
-- what is queued, so nothing committed is ever missing from search, similar
-- cases, routing or 热点 (src/db/search.rs, src/db/topics.rs) — the design of
-- PostgreSQL's GIN "fast update" pending list.
CREATE TABLE text_queue (
    case_id BIGINT PRIMARY KEY NOT NULL
);
