-- Every orchestrator run and each of its steps: the model turns (text, tokens) and the tool
-- calls (arguments, result, error), with latencies. Written once per run by execution/run_log.py.

CREATE TABLE runs (
    run_id              {{ pk }},
    agent_id            BIGINT REFERENCES agents (agent_id),
    conversation_id     BIGINT REFERENCES conversations (conversation_id),
    directive           TEXT NOT NULL,
    turn_id             TEXT,
    provider            TEXT NOT NULL,
    model               TEXT,
    stopped             TEXT NOT NULL
                        CHECK (stopped IN ('done', 'max_steps', 'handoff', 'tool_errors', 'error')),
    dry_run             BOOLEAN NOT NULL DEFAULT FALSE,
    step_count          INTEGER NOT NULL CHECK (step_count >= 0),
    latency_ms          DOUBLE PRECISION NOT NULL,
    input_tokens        BIGINT NOT NULL DEFAULT 0,
    output_tokens       BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens   BIGINT NOT NULL DEFAULT 0,
    cache_write_tokens  BIGINT NOT NULL DEFAULT 0,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX runs_conversation ON runs (conversation_id, run_id);
CREATE INDEX runs_created ON runs (created_at);

CREATE TABLE run_steps (
    run_id              BIGINT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
    step                INTEGER NOT NULL CHECK (step >= 0),
    kind                TEXT NOT NULL CHECK (kind IN ('model', 'tool')),
    tool                TEXT,
    arguments           TEXT,
    result              TEXT,
    is_error            BOOLEAN NOT NULL DEFAULT FALSE,
    text                TEXT,
    latency_ms          DOUBLE PRECISION NOT NULL,
    input_tokens        INTEGER,
    output_tokens       INTEGER,
    cache_read_tokens   INTEGER,
    cache_write_tokens  INTEGER,
    PRIMARY KEY (run_id, step),
    CHECK ((kind = 'tool') = (tool IS NOT NULL))
);
