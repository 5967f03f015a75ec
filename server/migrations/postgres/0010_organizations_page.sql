-- PostgreSQL twin of the SQLite migration. The search key and the domain use the "C" collation
-- so that prefix range scans compare bytes, exactly as on SQLite.

ALTER TABLE organizations ADD COLUMN name_key TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE organizations SET name_key = lower(name);
CREATE INDEX organizations_name_key ON organizations (name_key, id);
ALTER TABLE organization_domains ALTER COLUMN domain TYPE TEXT COLLATE "C";
