-- PostgreSQL twin of the SQLite migration: a permissions catalog, role permissions as rows,
-- one default role per scope, and IDs and creation times on the roles memberships hold.

CREATE TABLE permissions (
    id TEXT COLLATE "C" PRIMARY KEY,
    slug TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    resource_type_slug TEXT NOT NULL DEFAULT 'organization',
    system BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE role_permissions (
    role_id TEXT COLLATE "C" NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_slug TEXT COLLATE "C" NOT NULL REFERENCES permissions (slug) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_slug)
);
CREATE INDEX role_permissions_permission ON role_permissions (permission_slug, role_id);

INSERT INTO permissions (id, slug, name, description, resource_type_slug, system, created_at, updated_at)
SELECT 'perm_0' || upper(substr(md5(random()::text || p.slug), 1, 25)), p.slug, p.slug, NULL, 'organization', 0,
       p.created_at, p.created_at
FROM (SELECT j.value AS slug, MIN(r.created_at) AS created_at
      FROM roles r, jsonb_array_elements_text(r.permissions::jsonb) AS j(value) GROUP BY j.value) p;
INSERT INTO role_permissions (role_id, permission_slug)
SELECT DISTINCT r.id, j.value FROM roles r, jsonb_array_elements_text(r.permissions::jsonb) AS j(value);
ALTER TABLE roles DROP COLUMN permissions;

ALTER TABLE roles ADD COLUMN is_default BIGINT NOT NULL DEFAULT 0;
UPDATE roles SET is_default = 1 WHERE organization_id IS NULL AND slug = 'member';

ALTER TABLE membership_roles ADD COLUMN id TEXT COLLATE "C" NOT NULL
    DEFAULT ('role_assignment_0' || upper(substr(md5(random()::text || clock_timestamp()::text), 1, 25)));
ALTER TABLE membership_roles ADD COLUMN created_at BIGINT NOT NULL
    DEFAULT ((extract(epoch FROM clock_timestamp()) * 1000)::bigint);
UPDATE membership_roles r SET created_at = m.created_at FROM memberships m WHERE m.id = r.membership_id;
CREATE UNIQUE INDEX membership_roles_id ON membership_roles (id);
