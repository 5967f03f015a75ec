-- PostgreSQL twin of the SQLite migration.
ALTER TABLE one_time_codes ADD COLUMN failed_attempts BIGINT NOT NULL DEFAULT 0;
CREATE INDEX idempotent_responses_created ON idempotent_responses (created_at);
