DROP TABLE published_letters;
