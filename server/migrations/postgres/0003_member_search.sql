-- PostgreSQL twin of the SQLite migration: the same copied keys and indexes, and pg_trgm
-- for "contains" searches.

ALTER TABLE memberships ADD COLUMN user_email TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_last_name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_last_sign_in_at BIGINT NOT NULL DEFAULT 0;

UPDATE memberships m SET
    user_email = u.email,
    user_name_key = u.name_key,
    user_last_name_key = u.last_name_key,
    user_last_sign_in_at = COALESCE(u.last_sign_in_at, 0)
FROM users u WHERE u.id = m.user_id;

CREATE INDEX memberships_organization_email ON memberships (organization_id, user_email, id);
CREATE INDEX memberships_organization_name ON memberships (organization_id, user_name_key, id);
CREATE INDEX memberships_organization_last_name ON memberships (organization_id, user_last_name_key, id);
CREATE INDEX memberships_organization_sign_in ON memberships (organization_id, user_last_sign_in_at, id);

CREATE EXTENSION IF NOT EXISTS pg_trgm;
ALTER TABLE users ADD COLUMN search_text TEXT GENERATED ALWAYS AS (email || ' ' || name_key) STORED;
CREATE INDEX users_search_text ON users USING gin (search_text gin_trgm_ops);
