-- The channel settings of the closed loop after closure (DESIGN.md "After
-- closure"): working days to sign for an assigned case and to return it,
-- to call the citizen back (回访) and to rectify after a 差评, and whether
-- the channel rates on three levels or five (好差评 five-level scale). The
-- defaults are DESIGN.md's, so existing channels keep working unchanged.
ALTER TABLE channels ADD COLUMN accept_days INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN return_days INTEGER NOT NULL DEFAULT 1;
ALTER TABLE channels ADD COLUMN callback_days INTEGER NOT NULL DEFAULT 3;
ALTER TABLE channels ADD COLUMN rectify_days INTEGER NOT NULL DEFAULT 5;
ALTER TABLE channels ADD COLUMN rating_scale INTEGER NOT NULL DEFAULT 3 CHECK (rating_scale IN (3, 5));
-- 是否解决 of the rating in force: a citizen can be satisfied with the
-- attitude and still have the problem unsolved.
ALTER TABLE cases ADD COLUMN resolved BOOLEAN NULL;
-- Five-level ratings count as satisfied / unsatisfied in the figures; these
-- keep how many of those were the outer levels, for ratings_by_level.
ALTER TABLE case_rollups ADD COLUMN very_satisfied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups ADD COLUMN very_unsatisfied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN very_satisfied BIGINT NOT NULL DEFAULT 0;
ALTER TABLE case_rollups_monthly ADD COLUMN very_unsatisfied BIGINT NOT NULL DEFAULT 0;
