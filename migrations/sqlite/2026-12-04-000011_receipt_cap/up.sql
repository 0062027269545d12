-- The receipt cap counts messages per mailbox, not per spelling of its
-- address: `Victim@EXAMPLE.CN` and `victim+1@example.cn` are
-- `victim@example.cn` (domain::citizen::mailbox_key). Earlier rows get their
-- address in lower case, which is their key unless it has a +tag.
ALTER TABLE outbox ADD COLUMN recipient_key TEXT;
UPDATE outbox SET recipient_key = lower(recipient);
CREATE INDEX outbox_kind_recipient_key ON outbox (kind, recipient_key, created_at);
