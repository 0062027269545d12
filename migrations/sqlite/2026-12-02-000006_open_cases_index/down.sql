DROP INDEX cases_open_by_receipt;
