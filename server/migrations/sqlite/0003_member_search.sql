-- Search and sort of an organization's members at scale: each membership carries a copy of
-- its user's search and sort keys, so every users-table query is one index range in one
-- organization; and a trigram index answers "contains" searches.

ALTER TABLE memberships ADD COLUMN user_email TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_last_name_key TEXT NOT NULL DEFAULT '';
ALTER TABLE memberships ADD COLUMN user_last_sign_in_at INTEGER NOT NULL DEFAULT 0;

UPDATE memberships SET
    user_email = (SELECT email FROM users WHERE users.id = memberships.user_id),
    user_name_key = (SELECT name_key FROM users WHERE users.id = memberships.user_id),
    user_last_name_key = (SELECT last_name_key FROM users WHERE users.id = memberships.user_id),
    user_last_sign_in_at = COALESCE((SELECT last_sign_in_at FROM users WHERE users.id = memberships.user_id), 0);

CREATE INDEX memberships_organization_email ON memberships (organization_id, user_email, id);
CREATE INDEX memberships_organization_name ON memberships (organization_id, user_name_key, id);
CREATE INDEX memberships_organization_last_name ON memberships (organization_id, user_last_name_key, id);
CREATE INDEX memberships_organization_sign_in ON memberships (organization_id, user_last_sign_in_at, id);

-- Keyed by the users table's rowid, so keeping it in step costs an index lookup, not a scan.
CREATE VIRTUAL TABLE user_search USING fts5 (text, tokenize = 'trigram');
INSERT INTO user_search (rowid, text) SELECT rowid, email || ' ' || name_key FROM users;

CREATE TRIGGER user_search_insert AFTER INSERT ON users BEGIN
    INSERT INTO user_search (rowid, text) VALUES (new.rowid, new.email || ' ' || new.name_key);
END;
CREATE TRIGGER user_search_update AFTER UPDATE OF email, name_key ON users BEGIN
    UPDATE user_search SET text = new.email || ' ' || new.name_key WHERE rowid = old.rowid;
END;
CREATE TRIGGER user_search_delete AFTER DELETE ON users BEGIN
    DELETE FROM user_search WHERE rowid = old.rowid;
END;
