-- Roles and permissions: a permissions catalog, each role's permissions as rows naming catalog
-- entries (instead of a JSON column), one default role per scope, and IDs and creation times on
-- the roles memberships hold (WorkOS's role assignments).

CREATE TABLE permissions (
    id TEXT PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT,
    resource_type_slug TEXT NOT NULL DEFAULT 'organization',
    system INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE role_permissions (
    role_id TEXT NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_slug TEXT NOT NULL REFERENCES permissions (slug) ON DELETE CASCADE,
    PRIMARY KEY (role_id, permission_slug)
);
-- "Which roles use this permission", asked before deleting it.
CREATE INDEX role_permissions_permission ON role_permissions (permission_slug, role_id);

-- Every permission a role had joins the catalog under its own slug. The IDs are random ULIDs
-- (`0` then 25 hex digits, all Crockford base32).
INSERT INTO permissions (id, slug, name, description, resource_type_slug, system, created_at, updated_at)
SELECT 'perm_0' || substr(hex(randomblob(13)), 1, 25), p.slug, p.slug, NULL, 'organization', 0, p.created_at, p.created_at
FROM (SELECT j.value AS slug, MIN(r.created_at) AS created_at FROM roles r, json_each(r.permissions) j GROUP BY j.value) p;
INSERT INTO role_permissions (role_id, permission_slug)
SELECT DISTINCT r.id, j.value FROM roles r, json_each(r.permissions) j;
ALTER TABLE roles DROP COLUMN permissions;

ALTER TABLE roles ADD COLUMN is_default INTEGER NOT NULL DEFAULT 0;
UPDATE roles SET is_default = 1 WHERE organization_id IS NULL AND slug = 'member';

-- SQLite adds no column with a computed default, so the table is rebuilt; rows written by
-- the existing inserts get their ID and time from the defaults.
CREATE TABLE membership_roles_new (
    membership_id TEXT NOT NULL REFERENCES memberships (id) ON DELETE CASCADE,
    role_slug TEXT NOT NULL,
    position INTEGER NOT NULL,
    organization_id TEXT NOT NULL DEFAULT '',
    id TEXT NOT NULL DEFAULT ('role_assignment_0' || substr(hex(randomblob(13)), 1, 25)),
    created_at INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)),
    PRIMARY KEY (membership_id, role_slug)
);
INSERT INTO membership_roles_new (membership_id, role_slug, position, organization_id, created_at)
SELECT r.membership_id, r.role_slug, r.position, r.organization_id, m.created_at
FROM membership_roles r JOIN memberships m ON m.id = r.membership_id;
DROP TABLE membership_roles;
ALTER TABLE membership_roles_new RENAME TO membership_roles;
CREATE INDEX membership_roles_organization_role ON membership_roles (organization_id, role_slug, membership_id);
CREATE UNIQUE INDEX membership_roles_id ON membership_roles (id);
