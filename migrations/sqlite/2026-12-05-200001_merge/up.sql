-- 并单 (DESIGN.md "After closure"): the case a merged case was put under
-- (null unless its state is `merged`). The parent's merged cases are found
-- through it when the parent closes (their citizens get its reply) and when
-- a merge is judged (a parent with merged cases cannot itself be merged).
-- No REFERENCES here, unlike PostgreSQL: SQLite cannot drop a column that
-- is in a foreign key, and down.sql must run (cases are never deleted).
ALTER TABLE cases ADD COLUMN merged_into BIGINT NULL;
CREATE INDEX cases_merged_into ON cases (merged_into) WHERE merged_into IS NOT NULL;
-- 并单 through the rollups, like every other figure: a merged case is not
-- received (like an invalid one) but counted here.
ALTER TABLE case_rollups ADD COLUMN merged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN merged BIGINT NOT NULL DEFAULT 0;
-- The state `merged` must pass the column's CHECK. SQLite cannot alter a
-- CHECK; rebuilding `cases` would have to name every column and index of
-- it (and drop any another migration adds), so the CHECK's text is edited
-- in place, as SQLite documents for loosening a constraint (sqlite.org
-- "ALTER TABLE", "making other kinds of table schema changes"): existing rows
-- satisfy the looser CHECK, and nothing on disk depends on it. It comes after
-- the ALTERs above, which locate their edits by the original text; the
-- ALTERs also change the schema cookie, so other connections reload the
-- schema, and RESET reloads it on this one.
PRAGMA writable_schema = ON;
UPDATE sqlite_schema
   SET sql = replace(sql,
       'CHECK (state IN (''registered'', ''assigned'', ''processing'', ''reviewing'', ''closed'', ''invalid''))',
       'CHECK (state IN (''registered'', ''assigned'', ''processing'', ''reviewing'', ''closed'', ''invalid'', ''merged''))')
 WHERE type = 'table' AND name = 'cases';
PRAGMA writable_schema = RESET;
