-- Publication of a letter and its reply (信件选登): the citizen consents
-- with is_public, a clerk approves with the `publish` action. Both must
-- hold, and the case must be closed, for the letter to be listed on
-- /mailbox/letters. Reopening a case withdraws the approval.
ALTER TABLE cases ADD COLUMN published_at TIMESTAMP NULL;
ALTER TABLE cases ADD COLUMN published_by BIGINT NULL REFERENCES users (id);
-- The published list, newest reply first.
CREATE INDEX cases_published ON cases (closed_at DESC, id DESC)
    WHERE published_at IS NOT NULL AND state = 'closed' AND is_public;
