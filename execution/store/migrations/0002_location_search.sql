-- Fuzzy location search (see execution/location_match.py). Each distinct location of an agent is
-- cut into word spans; a query is matched against the spans by trigram similarity.
-- PostgreSQL indexes the spans with pg_trgm (GIN); SQLite with an inverted table of trigrams.

CREATE TABLE location_spans (
    span_id        {{ pk }},
    agent_id       BIGINT NOT NULL REFERENCES agents (agent_id),
    location       TEXT NOT NULL,
    span           TEXT NOT NULL,
    trigram_count  INTEGER NOT NULL CHECK (trigram_count > 0),
    UNIQUE (agent_id, location, span)
);

{% if dialect == "postgresql" %}
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX location_spans_trgm ON location_spans USING gin (span gin_trgm_ops);
{% else %}
CREATE TABLE location_span_trigrams (
    agent_id  BIGINT NOT NULL,
    trigram   TEXT NOT NULL,
    span_id   BIGINT NOT NULL REFERENCES location_spans (span_id) ON DELETE CASCADE,
    PRIMARY KEY (agent_id, trigram, span_id)
) WITHOUT ROWID;
CREATE INDEX location_span_trigrams_span ON location_span_trigrams (span_id);
{% endif %}
