-- TOTP authentication factors (RFC 6238) and their challenges.

-- A factor belongs to a user (enrolled through `/user_management/users/{id}/auth_factors`) or,
-- enrolled through the standalone MFA API, to no user: then `organization_id` records the
-- organization whose grant enrolled it (NULL for environment grants), which is its reach.
-- `secret` is the raw base32 key; it leaves the store only in the enrollment answer.
-- `last_used_step` is the TOTP time step last accepted, so no code is accepted twice.
CREATE TABLE auth_factors (
    id TEXT PRIMARY KEY,
    user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    issuer TEXT NOT NULL,
    account TEXT NOT NULL,
    secret TEXT NOT NULL,
    last_used_step INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX auth_factors_user ON auth_factors (user_id, id);
CREATE INDEX auth_factors_organization ON auth_factors (organization_id);

-- A challenge is verified once, before it expires; wrong codes count against it.
CREATE TABLE auth_challenges (
    id TEXT PRIMARY KEY,
    factor_id TEXT NOT NULL REFERENCES auth_factors (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL,
    verified_at INTEGER,
    failed_attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX auth_challenges_factor ON auth_challenges (factor_id);
