-- PostgreSQL twin of the SQLite migration; the membership reference also takes the "C"
-- collation of the IDs it joins, so the two indexes can be merged without sorting.
ALTER TABLE membership_roles ALTER COLUMN membership_id TYPE TEXT COLLATE "C";
ALTER TABLE membership_roles ADD COLUMN organization_id TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE membership_roles r SET organization_id = m.organization_id FROM memberships m WHERE m.id = r.membership_id;
CREATE INDEX membership_roles_organization_role ON membership_roles (organization_id, role_slug, membership_id);
