-- PostgreSQL twin of the SQLite migration: TOTP authentication factors (RFC 6238) and their
-- challenges. See the SQLite file for what each column means.
CREATE TABLE auth_factors (
    id TEXT COLLATE "C" PRIMARY KEY,
    user_id TEXT COLLATE "C" REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT COLLATE "C" REFERENCES organizations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    account TEXT NOT NULL,
    secret TEXT NOT NULL,
    last_used_step BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX auth_factors_user ON auth_factors (user_id, id);
CREATE INDEX auth_factors_organization ON auth_factors (organization_id);

CREATE TABLE auth_challenges (
    id TEXT COLLATE "C" PRIMARY KEY,
    factor_id TEXT COLLATE "C" NOT NULL REFERENCES auth_factors (id) ON DELETE CASCADE,
    expires_at BIGINT NOT NULL,
    verified_at BIGINT,
    failed_attempts BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX auth_challenges_factor ON auth_challenges (factor_id);
