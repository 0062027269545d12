DROP TABLE channel_categories;
