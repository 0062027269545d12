DROP TABLE text_queue;
