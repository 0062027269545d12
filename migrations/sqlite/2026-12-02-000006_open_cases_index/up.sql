-- overdue_open of the statistics counts open, running cases received in the
-- period whose due time has passed. Every closed case is also past due, so
-- neither cases_due nor cases_received narrows it. Open cases alone, with
-- every column the count reads, answer it from the index (SQLite has no
-- INCLUDE, and covers a query only if the index holds every column the
-- query names, those of the index's own condition too).
CREATE INDEX cases_open_by_receipt ON cases (received_at, due_at, channel, department_id, state, suspended)
    WHERE state IN ('registered', 'assigned', 'processing', 'reviewing') AND suspended = 0;
