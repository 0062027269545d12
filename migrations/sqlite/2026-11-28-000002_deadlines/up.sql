-- The working-day calendar: exceptions to Monday-to-Friday, seeded from
-- the State Council's schedules (migrations/seed/cn-holidays.csv, 2024-2026).
CREATE TABLE calendar_days (
    day DATE PRIMARY KEY,
    is_workday BOOLEAN NOT NULL,
    note TEXT NOT NULL
);

INSERT INTO calendar_days (day, is_workday, note) VALUES
    ('2024-01-01', 0, '元旦'),
    ('2024-02-04', 1, '春节调休上班'),
    ('2024-02-10', 0, '春节'),
    ('2024-02-11', 0, '春节'),
    ('2024-02-12', 0, '春节'),
    ('2024-02-13', 0, '春节'),
    ('2024-02-14', 0, '春节'),
    ('2024-02-15', 0, '春节'),
    ('2024-02-16', 0, '春节'),
    ('2024-02-17', 0, '春节'),
    ('2024-02-18', 1, '春节调休上班'),
    ('2024-04-04', 0, '清明节'),
    ('2024-04-05', 0, '清明节'),
    ('2024-04-06', 0, '清明节'),
    ('2024-04-07', 1, '清明节调休上班'),
    ('2024-04-28', 1, '劳动节调休上班'),
    ('2024-05-01', 0, '劳动节'),
    ('2024-05-02', 0, '劳动节'),
    ('2024-05-03', 0, '劳动节'),
    ('2024-05-04', 0, '劳动节'),
    ('2024-05-05', 0, '劳动节'),
    ('2024-05-11', 1, '劳动节调休上班'),
    ('2024-06-10', 0, '端午节'),
    ('2024-09-14', 1, '中秋节调休上班'),
    ('2024-09-15', 0, '中秋节'),
    ('2024-09-16', 0, '中秋节'),
    ('2024-09-17', 0, '中秋节'),
    ('2024-09-29', 1, '国庆节调休上班'),
    ('2024-10-01', 0, '国庆节'),
    ('2024-10-02', 0, '国庆节'),
    ('2024-10-03', 0, '国庆节'),
    ('2024-10-04', 0, '国庆节'),
    ('2024-10-05', 0, '国庆节'),
    ('2024-10-06', 0, '国庆节'),
    ('2024-10-07', 0, '国庆节'),
    ('2024-10-12', 1, '国庆节调休上班'),
    ('2025-01-01', 0, '元旦'),
    ('2025-01-26', 1, '春节调休上班'),
    ('2025-01-28', 0, '春节'),
    ('2025-01-29', 0, '春节'),
    ('2025-01-30', 0, '春节'),
    ('2025-01-31', 0, '春节'),
    ('2025-02-01', 0, '春节'),
    ('2025-02-02', 0, '春节'),
    ('2025-02-03', 0, '春节'),
    ('2025-02-04', 0, '春节'),
    ('2025-02-08', 1, '春节调休上班'),
    ('2025-04-04', 0, '清明节'),
    ('2025-04-05', 0, '清明节'),
    ('2025-04-06', 0, '清明节'),
    ('2025-04-27', 1, '劳动节调休上班'),
    ('2025-05-01', 0, '劳动节'),
    ('2025-05-02', 0, '劳动节'),
    ('2025-05-03', 0, '劳动节'),
    ('2025-05-04', 0, '劳动节'),
    ('2025-05-05', 0, '劳动节'),
    ('2025-05-31', 0, '端午节'),
    ('2025-06-01', 0, '端午节'),
    ('2025-06-02', 0, '端午节'),
    ('2025-09-28', 1, '国庆节、中秋节调休上班'),
    ('2025-10-01', 0, '国庆节、中秋节'),
    ('2025-10-02', 0, '国庆节、中秋节'),
    ('2025-10-03', 0, '国庆节、中秋节'),
    ('2025-10-04', 0, '国庆节、中秋节'),
    ('2025-10-05', 0, '国庆节、中秋节'),
    ('2025-10-06', 0, '国庆节、中秋节'),
    ('2025-10-07', 0, '国庆节、中秋节'),
    ('2025-10-08', 0, '国庆节、中秋节'),
    ('2025-10-11', 1, '国庆节、中秋节调休上班'),
    ('2026-01-01', 0, '元旦'),
    ('2026-01-02', 0, '元旦'),
    ('2026-01-03', 0, '元旦'),
    ('2026-01-04', 1, '元旦调休上班'),
    ('2026-02-14', 1, '春节调休上班'),
    ('2026-02-15', 0, '春节'),
    ('2026-02-16', 0, '春节'),
    ('2026-02-17', 0, '春节'),
    ('2026-02-18', 0, '春节'),
    ('2026-02-19', 0, '春节'),
    ('2026-02-20', 0, '春节'),
    ('2026-02-21', 0, '春节'),
    ('2026-02-22', 0, '春节'),
    ('2026-02-23', 0, '春节'),
    ('2026-02-28', 1, '春节调休上班'),
    ('2026-04-04', 0, '清明节'),
    ('2026-04-05', 0, '清明节'),
    ('2026-04-06', 0, '清明节'),
    ('2026-05-01', 0, '劳动节'),
    ('2026-05-02', 0, '劳动节'),
    ('2026-05-03', 0, '劳动节'),
    ('2026-05-04', 0, '劳动节'),
    ('2026-05-05', 0, '劳动节'),
    ('2026-05-09', 1, '劳动节调休上班'),
    ('2026-06-19', 0, '端午节'),
    ('2026-06-20', 0, '端午节'),
    ('2026-06-21', 0, '端午节'),
    ('2026-09-20', 1, '国庆节调休上班'),
    ('2026-09-25', 0, '中秋节'),
    ('2026-09-26', 0, '中秋节'),
    ('2026-09-27', 0, '中秋节'),
    ('2026-10-01', 0, '国庆节'),
    ('2026-10-02', 0, '国庆节'),
    ('2026-10-03', 0, '国庆节'),
    ('2026-10-04', 0, '国庆节'),
    ('2026-10-05', 0, '国庆节'),
    ('2026-10-06', 0, '国庆节'),
    ('2026-10-07', 0, '国庆节'),
    ('2026-10-10', 1, '国庆节调休上班');

-- Each case keeps the limits it was registered under (channel changes apply
-- to later cases), its extensions, pauses, supervision, and which deadline
-- events have been recorded for its current due date.
ALTER TABLE cases ADD COLUMN time_limit INTEGER;
ALTER TABLE cases ADD COLUMN time_limit_unit TEXT;
ALTER TABLE cases ADD COLUMN extension_limit INTEGER;
ALTER TABLE cases ADD COLUMN extension_unit TEXT;
ALTER TABLE cases ADD COLUMN extended_workdays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN paused_workdays INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN suspended_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN pending_extension_days INTEGER;
ALTER TABLE cases ADD COLUMN pending_extension_reason TEXT;
ALTER TABLE cases ADD COLUMN pending_extension_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN pending_extension_by BIGINT;
ALTER TABLE cases ADD COLUMN supervision_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN last_supervised_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN last_supervision_note TEXT;
ALTER TABLE cases ADD COLUMN due_soon_recorded_at TIMESTAMP;
ALTER TABLE cases ADD COLUMN overdue_recorded_at TIMESTAMP;
CREATE INDEX cases_supervised ON cases (supervision_count);
