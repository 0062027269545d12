DROP TABLE case_rollups_monthly;
