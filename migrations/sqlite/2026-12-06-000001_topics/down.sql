DROP TABLE topic_rollups_state;
DROP TABLE topic_totals_monthly;
DROP TABLE topic_totals;
DROP TABLE topic_rollups_monthly;
DROP TABLE topic_rollups;
