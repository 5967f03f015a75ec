-- Wrong guesses at a one-time code count against it; five kill it.
ALTER TABLE one_time_codes ADD COLUMN failed_attempts INTEGER NOT NULL DEFAULT 0;
-- Idempotent answers expire after a day; this finds the expired ones.
CREATE INDEX idempotent_responses_created ON idempotent_responses (created_at);
