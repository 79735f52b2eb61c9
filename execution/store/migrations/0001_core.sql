-- The core tables of DESIGN.md. Written once for both databases: `{{ pk }}` is the dialect's
-- auto-increment primary key; everything else is common SQL. Timestamps are UTC.
-- Composite (agent_id, ...) foreign keys make a row of one agent unable to point at another's.

CREATE TABLE agents (
    agent_id            {{ pk }},
    name                TEXT NOT NULL UNIQUE,
    instance_id         TEXT NOT NULL UNIQUE,
    api_token           TEXT NOT NULL,
    webhook_token_hash  TEXT NOT NULL,
    whatsapp_number     TEXT NOT NULL,
    api_url             TEXT,
    timezone            TEXT NOT NULL DEFAULT 'Asia/Singapore',
    persona             TEXT NOT NULL DEFAULT '{}',
    working_hours       TEXT,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CHECK (length(name) BETWEEN 1 AND 200),
    CHECK (length(webhook_token_hash) = 64)
);

CREATE TABLE conversations (
    conversation_id       {{ pk }},
    agent_id              BIGINT NOT NULL REFERENCES agents (agent_id),
    chat_id               TEXT NOT NULL,
    contact_name          TEXT,
    current_mode          TEXT NOT NULL DEFAULT 'AI' CHECK (current_mode IN ('AI', 'HUMAN')),
    mode_version          BIGINT NOT NULL DEFAULT 0 CHECK (mode_version >= 0),
    mode_changed_at       TIMESTAMPTZ,
    mode_reason           TEXT,
    failed_search_streak  INTEGER NOT NULL DEFAULT 0 CHECK (failed_search_streak >= 0),
    last_message_at       TIMESTAMPTZ,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (agent_id, chat_id),
    UNIQUE (agent_id, conversation_id)
);

CREATE TABLE messages (
    message_id         {{ pk }},
    agent_id           BIGINT NOT NULL,
    conversation_id    BIGINT NOT NULL,
    direction          TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    sender_type        TEXT NOT NULL CHECK (sender_type IN ('USER', 'AI', 'HUMAN', 'SYSTEM')),
    type_message       TEXT NOT NULL DEFAULT 'textMessage',
    text               TEXT,
    green_message_id   TEXT,
    idempotency_key    TEXT UNIQUE,
    status             TEXT NOT NULL CHECK (status IN (
                           'received', 'pending', 'sent', 'delivered', 'read', 'failed', 'discarded')),
    mode_version       BIGINT,
    raw_payload        TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    sent_at            TIMESTAMPTZ,
    FOREIGN KEY (agent_id, conversation_id) REFERENCES conversations (agent_id, conversation_id),
    UNIQUE (agent_id, green_message_id),
    CHECK ((direction = 'in') = (sender_type = 'USER')),
    CHECK (direction = 'in' OR sender_type = 'HUMAN' OR idempotency_key IS NOT NULL)
);
CREATE INDEX messages_conversation ON messages (conversation_id, message_id);

CREATE TABLE properties (
    property_id         {{ pk }},
    agent_id            BIGINT NOT NULL REFERENCES agents (agent_id),
    external_ref        TEXT,
    title               TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    location            TEXT NOT NULL CHECK (length(location) BETWEEN 1 AND 300),
    price               BIGINT NOT NULL CHECK (price >= 0),
    property_type       TEXT NOT NULL,
    bedrooms            INTEGER CHECK (bedrooms BETWEEN 0 AND 50),
    availability        TEXT NOT NULL DEFAULT 'available'
                        CHECK (availability IN ('available', 'pending', 'sold')),
    key_selling_points  TEXT NOT NULL DEFAULT '[]',
    created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    UNIQUE (agent_id, external_ref),
    UNIQUE (agent_id, property_id)
);
CREATE INDEX properties_location ON properties (agent_id, location, bedrooms, price);
CREATE INDEX properties_price ON properties (agent_id, price);
CREATE INDEX properties_type ON properties (agent_id, property_type, price);

CREATE TABLE followups (
    followup_id      {{ pk }},
    agent_id         BIGINT NOT NULL,
    conversation_id  BIGINT NOT NULL,
    due_at           TIMESTAMPTZ NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'check_in',
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'cancelled', 'failed')),
    cancel_reason    TEXT,
    idempotency_key  TEXT UNIQUE,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    done_at          TIMESTAMPTZ,
    FOREIGN KEY (agent_id, conversation_id) REFERENCES conversations (agent_id, conversation_id),
    CHECK (status <> 'cancelled' OR cancel_reason IS NOT NULL)
);
CREATE INDEX followups_due ON followups (status, due_at);
CREATE INDEX followups_conversation ON followups (conversation_id, status);

CREATE TABLE viewings (
    viewing_id       {{ pk }},
    agent_id         BIGINT NOT NULL,
    conversation_id  BIGINT NOT NULL,
    property_id      BIGINT NOT NULL,
    slot_start       TIMESTAMPTZ NOT NULL,
    slot_end         TIMESTAMPTZ NOT NULL,
    status           TEXT NOT NULL DEFAULT 'requested'
                     CHECK (status IN ('requested', 'confirmed', 'cancelled', 'completed')),
    notes            TEXT,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP,
    FOREIGN KEY (agent_id, conversation_id) REFERENCES conversations (agent_id, conversation_id),
    FOREIGN KEY (agent_id, property_id) REFERENCES properties (agent_id, property_id),
    CHECK (slot_end > slot_start)
);
-- One agent cannot be booked twice for the same start time.
CREATE UNIQUE INDEX viewings_agent_slot ON viewings (agent_id, slot_start)
    WHERE status IN ('requested', 'confirmed');

CREATE TABLE events (
    event_id         {{ pk }},
    agent_id         BIGINT REFERENCES agents (agent_id),
    conversation_id  BIGINT REFERENCES conversations (conversation_id),
    kind             TEXT NOT NULL,
    detail           TEXT NOT NULL DEFAULT '{}',
    created_at       TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX events_conversation ON events (conversation_id, event_id);
CREATE INDEX events_kind ON events (kind, created_at);

CREATE TABLE incidents (
    incident_id  {{ pk }},
    agent_id     BIGINT REFERENCES agents (agent_id),
    layer        TEXT NOT NULL CHECK (layer IN ('directive', 'orchestration', 'execution')),
    directive    TEXT,
    tool         TEXT,
    error        TEXT NOT NULL,
    context      TEXT NOT NULL DEFAULT '{}',
    status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'proposed', 'resolved')),
    created_at   TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX incidents_status ON incidents (status, layer);
