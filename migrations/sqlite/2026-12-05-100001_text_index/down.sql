DROP TABLE text_index_backfill;
DROP TABLE case_terms;
