-- The organizations page searches by the start of an organization's name: a lower-cased copy
-- of the name, indexed with the ID, so the search is a range scan (domains already have an
-- index on `domain`). Member counts for a page use `memberships_organization`.

ALTER TABLE organizations ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE organizations SET name_key = lower(name);
CREATE INDEX organizations_name_key ON organizations (name_key, id);
