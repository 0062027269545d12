-- A published letter's title, letter and reply as the public sees them:
-- masked (phone and ID numbers, email addresses, the writer's name) when a
-- clerk publishes, so that the page and its search never touch the text as
-- written. Letters published before are given theirs at the next start.
CREATE TABLE published_letters (
    case_id BIGINT PRIMARY KEY REFERENCES cases (id),
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    reply TEXT NOT NULL
);
