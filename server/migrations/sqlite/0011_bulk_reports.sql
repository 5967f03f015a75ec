-- What a bulk action on the users table did to each row, kept for an hour so that a form
-- posted without JavaScript can show the report on the page it is sent back to.
CREATE TABLE bulk_reports (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX bulk_reports_created ON bulk_reports (created_at);
