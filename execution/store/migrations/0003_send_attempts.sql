-- What happened to each outbound message: how many attempts, and the last error (never a token).
ALTER TABLE messages ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN error TEXT;
CREATE INDEX messages_pending ON messages (status, created_at);
