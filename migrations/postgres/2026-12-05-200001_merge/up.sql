-- 并单 (DESIGN.md "After closure"): the case a merged case was put under
-- (null unless its state is `merged`). The parent's merged cases are found
-- through it when the parent closes (their citizens get its reply) and when
-- a merge is judged (a parent with merged cases cannot itself be merged).
ALTER TABLE cases ADD COLUMN merged_into BIGINT NULL REFERENCES cases (id);
CREATE INDEX cases_merged_into ON cases (merged_into) WHERE merged_into IS NOT NULL;
-- 并单 through the rollups, like every other figure: a merged case is not
-- received (like an invalid one) but counted here.
ALTER TABLE case_rollups ADD COLUMN merged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN merged BIGINT NOT NULL DEFAULT 0;
-- The state `merged` must pass the column's CHECK.
ALTER TABLE cases DROP CONSTRAINT cases_state_check;
ALTER TABLE cases ADD CONSTRAINT cases_state_check
    CHECK (state IN ('registered', 'assigned', 'processing', 'reviewing', 'closed', 'invalid', 'merged'));
