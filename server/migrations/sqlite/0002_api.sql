-- The REST API: keys, tokens, replays, rate limits, one-time codes and the outbox.

-- Users imported with a foreign hash keep it until their first sign-in rehashes it.
ALTER TABLE users ADD COLUMN password_hash_type TEXT;

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL UNIQUE,
    obfuscated_value TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    last_used_at INTEGER,
    revoked_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX api_keys_client ON api_keys (client_id);

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    used_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE idempotent_responses (
    api_key_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_fingerprint TEXT NOT NULL,
    status INTEGER,
    body TEXT,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, idempotency_key)
);

CREATE TABLE rate_limits (
    bucket TEXT PRIMARY KEY,
    window_start INTEGER NOT NULL,
    attempts INTEGER NOT NULL
);

-- Email verifications, password resets and magic-auth codes.
CREATE TABLE one_time_codes (
    id TEXT PRIMARY KEY,
    purpose TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    secret TEXT NOT NULL,
    consumed_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX one_time_codes_secret ON one_time_codes (purpose, secret);
CREATE INDEX one_time_codes_user ON one_time_codes (purpose, user_id, id);

-- Messages that would be emailed; read here until SMTP is configured.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
