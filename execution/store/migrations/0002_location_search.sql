-- Fuzzy location search (see execution/location_match.py). Each distinct location of an agent is
-- cut into word spans ("Tampines", "Tampines Street", "Street 81", ...). The distinct span texts
-- of an agent are its `location_terms`; `location_spans` says which locations contain which term.
-- A query is matched against the terms by trigram similarity: PostgreSQL with pg_trgm (GIN),
-- SQLite with an inverted table of the same trigrams.

CREATE TABLE location_terms (
    term_id        {{ pk }},
    agent_id       BIGINT NOT NULL REFERENCES agents (agent_id),
    span           TEXT NOT NULL,
    trigram_count  INTEGER NOT NULL CHECK (trigram_count > 0),
    UNIQUE (agent_id, span)
);

CREATE TABLE location_spans (
    agent_id  BIGINT NOT NULL REFERENCES agents (agent_id),
    term_id   BIGINT NOT NULL REFERENCES location_terms (term_id) ON DELETE CASCADE,
    location  TEXT NOT NULL,
    PRIMARY KEY (agent_id, term_id, location)
);
CREATE INDEX location_spans_location ON location_spans (agent_id, location);

{% if dialect == "postgresql" %}
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;
-- pg_trgm declares its functions as cheap as `+` (COST 1); one call costs ~100x that, so the
-- planner would scan every term of a small agent rather than use the index below.
ALTER FUNCTION similarity(text, text) COST 100;
ALTER FUNCTION similarity_op(text, text) COST 100;
-- One GIN index over (agent, trigrams): a search only rechecks its own agent's terms.
-- fastupdate off: terms change only on import, and a pending list would slow every search.
CREATE INDEX location_terms_trgm ON location_terms USING gin (agent_id, span gin_trgm_ops)
    WITH (fastupdate = off);
{% else %}
CREATE TABLE location_term_trigrams (
    agent_id  BIGINT NOT NULL,
    trigram   TEXT NOT NULL,
    term_id   BIGINT NOT NULL REFERENCES location_terms (term_id) ON DELETE CASCADE,
    PRIMARY KEY (agent_id, trigram, term_id)
) WITHOUT ROWID;
CREATE INDEX location_term_trigrams_term ON location_term_trigrams (term_id);
{% endif %}
