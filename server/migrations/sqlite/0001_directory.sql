-- Timestamps are milliseconds since the Unix epoch; IDs are `<prefix>_<ULID>` and so sort by
-- creation time. `*_key` columns hold lower-cased search keys for prefix range scans.

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    email_verified INTEGER NOT NULL DEFAULT 0,
    first_name TEXT,
    last_name TEXT,
    name_key TEXT NOT NULL,
    last_name_key TEXT NOT NULL,
    profile_picture_url TEXT,
    locale TEXT,
    external_id TEXT UNIQUE,
    metadata TEXT NOT NULL DEFAULT '{}',
    password_hash TEXT,
    is_platform_admin INTEGER NOT NULL DEFAULT 0,
    last_sign_in_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX users_name_key ON users (name_key);
CREATE INDEX users_last_name_key ON users (last_name_key);

CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    allow_profiles_outside_organization INTEGER NOT NULL DEFAULT 0,
    stripe_customer_id TEXT,
    external_id TEXT UNIQUE,
    metadata TEXT NOT NULL DEFAULT '{}',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE organization_domains (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    domain TEXT NOT NULL,
    state TEXT NOT NULL,
    verification_strategy TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX organization_domains_organization ON organization_domains (organization_id);
CREATE INDEX organization_domains_domain ON organization_domains (domain);

CREATE TABLE roles (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    permissions TEXT NOT NULL DEFAULT '[]',
    priority INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX roles_environment_slug ON roles (slug) WHERE organization_id IS NULL;
CREATE UNIQUE INDEX roles_organization_slug ON roles (organization_id, slug) WHERE organization_id IS NOT NULL;

CREATE TABLE memberships (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (organization_id, user_id)
);
CREATE INDEX memberships_organization ON memberships (organization_id, id);
CREATE INDEX memberships_organization_status ON memberships (organization_id, status, id);
CREATE INDEX memberships_user ON memberships (user_id, id);

CREATE TABLE membership_roles (
    membership_id TEXT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    role_slug TEXT NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (membership_id, role_slug)
);

CREATE TABLE invitations (
    id TEXT PRIMARY KEY,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    state TEXT NOT NULL,
    role_slug TEXT,
    token TEXT NOT NULL UNIQUE,
    inviter_user_id TEXT,
    accepted_user_id TEXT,
    accepted_at INTEGER,
    revoked_at INTEGER,
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX invitations_organization ON invitations (organization_id, id);
CREATE INDEX invitations_email ON invitations (email, id);

CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE SET NULL,
    auth_method TEXT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    expires_at INTEGER NOT NULL,
    ended_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, id);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    event TEXT NOT NULL,
    organization_id TEXT,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX events_organization ON events (organization_id, id);

-- Install-wide facts, such as when first-start seeding ran.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
