-- Email delivery: each outbox message carries an HTML part and its delivery state. A sender
-- claims due messages (state `sending`, with a lease that another sender may take over once
-- it expires), then records `sent` or, after its retries, `failed` with the reason.
ALTER TABLE outbox ADD COLUMN html_body TEXT;
ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'queued';
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
-- When the message was put in line (written, or sent again): a message left waiting too long
-- is not sent late.
ALTER TABLE outbox ADD COLUMN queued_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN next_attempt_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER;
ALTER TABLE outbox ADD COLUMN last_attempt_at INTEGER;
ALTER TABLE outbox ADD COLUMN last_error TEXT;
ALTER TABLE outbox ADD COLUMN sent_at INTEGER;
UPDATE outbox SET queued_at = created_at, next_attempt_at = created_at;
CREATE INDEX outbox_due ON outbox (state, next_attempt_at);
