DROP INDEX outbox_kind_recipient_key;
ALTER TABLE outbox DROP COLUMN recipient_key;
