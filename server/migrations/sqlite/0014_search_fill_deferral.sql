-- Bulk loads fill the member search index once per batch instead of once per row.
--
-- FTS5 writes its pending terms out as a new segment whenever a statement that fires the
-- insert trigger starts, so a million users inserted 25 rows a statement left 40,000 small
-- segments to merge. `roster import` sets the flag, inserts a batch, indexes the batch's rows
-- with one INSERT … SELECT and clears the flag, all inside one transaction: no other
-- connection ever sees it set, and SQLite lets no other writer in meanwhile.
CREATE TABLE search_fill_deferral (deferred INTEGER NOT NULL CHECK (deferred IN (0, 1)));
INSERT INTO search_fill_deferral (deferred) VALUES (0);

DROP TRIGGER user_search_insert;
CREATE TRIGGER user_search_insert AFTER INSERT ON users
WHEN (SELECT deferred FROM search_fill_deferral) = 0 BEGIN
    INSERT INTO user_search (rowid, text) VALUES (new.rowid, new.email || ' ' || new.name_key);
END;
