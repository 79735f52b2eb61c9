-- The webhook inbox and the turn queue (execution/webhook_handler.py, execution/turn_queue.py).
--
-- `notifications`: every Green API notification accepted, stored once. The unique dedup key is
-- the durable half of webhook dedup (Redis is the fast half): it survives a Redis flush and a
-- restart. `turns`: the pending work. One pending turn per conversation at most (new messages
-- join it while it waits out the debounce); a turn answers every buyer message after the
-- conversation's `answered_through` up to its `last_message_id`.

CREATE TABLE notifications (
    notification_id  {{ pk }},
    agent_id         BIGINT NOT NULL REFERENCES agents (agent_id),
    dedup_key        TEXT NOT NULL UNIQUE,
    type_webhook     TEXT NOT NULL,
    type_message     TEXT,
    id_message       TEXT,
    chat_id          TEXT,
    outcome          TEXT NOT NULL,
    payload          TEXT NOT NULL,
    received_at      TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- Whether a message typed on the agent's own phone hands the chat to the human (default on).
ALTER TABLE agents ADD COLUMN phone_takeover BOOLEAN NOT NULL DEFAULT TRUE;

ALTER TABLE messages ADD COLUMN edited_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN deleted_at TIMESTAMPTZ;
ALTER TABLE messages ADD COLUMN echoed_at TIMESTAMPTZ;
-- When a send whose first sender died was taken over (see send_whatsapp_message.py).
ALTER TABLE messages ADD COLUMN send_started_at TIMESTAMPTZ;

ALTER TABLE conversations ADD COLUMN answered_through BIGINT NOT NULL DEFAULT 0;

CREATE TABLE turns (
    turn_id           {{ pk }},
    agent_id          BIGINT NOT NULL,
    conversation_id   BIGINT NOT NULL,
    status            TEXT NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'done', 'superseded', 'failed')),
    last_message_id   BIGINT NOT NULL,
    message_count     INTEGER NOT NULL DEFAULT 1 CHECK (message_count >= 1),
    due_at            TIMESTAMPTZ NOT NULL,
    due_cap           TIMESTAMPTZ NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    lease_owner       TEXT,
    lease_until       TIMESTAMPTZ,
    outcome           TEXT,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    finished_at       TIMESTAMPTZ,
    FOREIGN KEY (agent_id, conversation_id) REFERENCES conversations (agent_id, conversation_id)
);
CREATE UNIQUE INDEX turns_one_pending ON turns (conversation_id) WHERE status = 'pending';
CREATE INDEX turns_due ON turns (status, due_at);
CREATE INDEX turns_conversation ON turns (conversation_id, turn_id);

-- Operator API tokens (`wa agents token AGENT`): one agent's scope each, stored as SHA-256.
CREATE TABLE operator_tokens (
    token_id    {{ pk }},
    agent_id    BIGINT NOT NULL REFERENCES agents (agent_id),
    token_hash  TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    label       TEXT,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    revoked_at  TIMESTAMPTZ
);
