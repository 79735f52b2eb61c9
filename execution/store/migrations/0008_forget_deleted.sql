-- A message its sender deleted keeps no content (execution/privacy.py): the ones deleted
-- before this rule lose their text and payload now.
UPDATE messages SET text = NULL, raw_payload = NULL WHERE deleted_at IS NOT NULL;

-- Forgetting a deleted message rewrites the notifications of its chat: found by chat, not by
-- reading every notification of the agent.
CREATE INDEX notifications_by_chat ON notifications (agent_id, chat_id);
