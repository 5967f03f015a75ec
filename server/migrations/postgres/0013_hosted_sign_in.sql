-- PostgreSQL twin of the SQLite migration: signing in through several steps and the hosted
-- sign-in pages. See the SQLite file for what each column means.
CREATE TABLE pending_authentications (
    id TEXT COLLATE "C" PRIMARY KEY,
    token_hash TEXT NOT NULL UNIQUE,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    audience TEXT NOT NULL,
    method TEXT NOT NULL,
    invitation_token TEXT,
    organization_id TEXT,
    mfa_verified BIGINT NOT NULL DEFAULT 0,
    next_step TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX pending_authentications_expiry ON pending_authentications (expires_at);

CREATE TABLE sign_in_flows (
    id TEXT COLLATE "C" PRIMARY KEY,
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
    expires_at BIGINT NOT NULL,
    completed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sign_in_flows_expiry ON sign_in_flows (expires_at);

CREATE TABLE authorization_codes (
    code_hash TEXT COLLATE "C" PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    code_challenge TEXT,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    organization_id TEXT,
    invitation_token TEXT,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX authorization_codes_expiry ON authorization_codes (expires_at);
