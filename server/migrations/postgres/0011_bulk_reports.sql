-- PostgreSQL twin of the SQLite migration: what a bulk action on the users table did to each
-- row, kept for an hour so that a form posted without JavaScript can show the report.
CREATE TABLE bulk_reports (
    id TEXT COLLATE "C" PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    data TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX bulk_reports_created ON bulk_reports (created_at);
