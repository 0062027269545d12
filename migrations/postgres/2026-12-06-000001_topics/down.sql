DROP TABLE topic_rollups_state;
DROP TABLE topic_rollups_monthly;
DROP TABLE topic_rollups;
