-- The role filter of the users table: each role assignment carries its organization, so
-- "admins of this organization, newest first" is one index range.
ALTER TABLE membership_roles ADD COLUMN organization_id TEXT NOT NULL DEFAULT '';
UPDATE membership_roles SET organization_id = (SELECT organization_id FROM memberships WHERE memberships.id = membership_roles.membership_id);
CREATE INDEX membership_roles_organization_role ON membership_roles (organization_id, role_slug, membership_id);
