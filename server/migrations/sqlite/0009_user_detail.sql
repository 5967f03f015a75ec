-- The user detail page: who did what to whom, and where each session stands.

-- Events name the party that caused them (a user, an API key, or `system`), the user they
-- are about, and what the object looked like before, so activity reads as sentences.
ALTER TABLE events ADD COLUMN actor_id TEXT;
ALTER TABLE events ADD COLUMN user_id TEXT;
ALTER TABLE events ADD COLUMN previous TEXT;
UPDATE events SET user_id = CASE
    WHEN json_extract(data, '$.object') = 'user' THEN json_extract(data, '$.id')
    ELSE json_extract(data, '$.user_id')
END;
CREATE INDEX events_user ON events (user_id, id);

-- Sessions tell a dashboard sign-in from an application's, and when each was last used.
ALTER TABLE sessions ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
ALTER TABLE sessions ADD COLUMN last_active_at INTEGER;
-- Application sessions hold refresh tokens; dashboard sessions never do.
UPDATE sessions SET kind = 'dashboard'
    WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE refresh_tokens.session_id = sessions.id);
UPDATE sessions SET last_active_at = updated_at;
