DROP TABLE import_refusals;
DROP TABLE imports;
