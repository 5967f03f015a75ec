-- Signing in through several steps, and the hosted sign-in pages.

-- A sign-in whose first factor was proven and which needs another step (email verification,
-- a second factor, an organization). The token continues it once, before it expires.
-- `audience` is who may continue it: `dashboard`, `environment` or an organization's ID (the
-- organization of the grant that started it). `next_step` is the step asked for, as JSON.
CREATE TABLE pending_authentications (
    id TEXT PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    audience TEXT NOT NULL,
    method TEXT NOT NULL,
    invitation_token TEXT,
    organization_id TEXT,
    mfa_verified INTEGER NOT NULL DEFAULT 0,
    next_step TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX pending_authentications_expiry ON pending_authentications (expires_at);

-- A browser's way through the hosted pages. `browser_hash` binds it to the browser that started
-- it (the hash of its httpOnly cookie). A flow without `client_id` is the dashboard's own
-- sign-in. `pending_token` is the step the flow waits on; `enrollment_secret` the TOTP key
-- shown for enrollment until a code from it is confirmed.
CREATE TABLE sign_in_flows (
    id TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    client_id TEXT,
    redirect_uri TEXT,
    state TEXT,
    code_challenge TEXT,
    login_hint TEXT,
    organization_id TEXT,
    invitation_token TEXT,
    pending_token TEXT,
    enrollment_secret TEXT,
    expires_at INTEGER NOT NULL,
    completed_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at);

-- An authorization code the hosted pages sent back to an application: used once, by the client
-- it was issued to, before it expires; with `code_challenge` only with the matching verifier.
CREATE TABLE authorization_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    organization_id TEXT,
    invitation_token TEXT,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
