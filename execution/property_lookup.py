"""Search and read an agent's listings. Only the agent's own listings are ever visible."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Literal

from execution.errors import NotFoundError, ValidationError
from execution.listing_facts import facts_line
from execution.listings import AVAILABILITY, STUDIO_WORDS, searched_types
from execution.run_inputs import AgentId
from execution.store import Row, Store, Tx

MAX_LIMIT = 100

_COLUMNS = (
    "p.property_id, p.agent_id, p.external_ref, p.title, p.location, p.price, p.property_type, "
    "p.bedrooms, p.availability, p.key_selling_points, p.floor_area_sqft"
)


@dataclass(frozen=True)
class Property:
    property_id: int
    agent_id: int
    external_ref: str | None
    title: str
    location: str
    price: int
    property_type: str
    bedrooms: int | None
    availability: str
    key_selling_points: list[str]
    match_score: float | None = None
    """How well `location` matched the searched location (1.0 = exact word match)."""
    floor_area_sqft: int | None = None
    facts: str = ""
    """The record's facts in the one form a reply should quote (`listing_facts.facts_line`)."""


def _property(row: Row) -> Property:
    score = row.get("match_score")
    listing = Property(
        property_id=int(row["property_id"]),
        agent_id=int(row["agent_id"]),
        external_ref=row["external_ref"],
        title=row["title"],
        location=row["location"],
        price=int(row["price"]),
        property_type=row["property_type"],
        bedrooms=None if row["bedrooms"] is None else int(row["bedrooms"]),
        availability=row["availability"],
        key_selling_points=json.loads(row["key_selling_points"]),
        match_score=None if score is None else round(float(score), 4),
        floor_area_sqft=None if row["floor_area_sqft"] is None else int(row["floor_area_sqft"]),
    )
    return replace(listing, facts=facts_line(listing))


def search_properties(
    store: Store,
    agent_id: AgentId,
    location: str | None = None,
    property_type: str | None = None,
    min_price: int | None = None,
    max_price: int | None = None,
    bedrooms: int | None = None,
    availability: Literal["available", "pending", "sold"] | None = None,
    limit: int = 10,
) -> list[Property]:
    """Search one agent's listings.

    Args:
        agent_id: The agent whose listings are searched (never another agent's).
        location: Area, street or development, as the buyer wrote it. Fuzzy: tolerates typos
            ("tampnes") and partial names ("bukit" finds "Bukit Timah Road").
        property_type: condo, HDB, landed, apartment, ... (common spellings accepted). A
            condo search finds executive condos and penthouses too, a landed one every kind
            of house; "studio" means 0 bedrooms, of any type.
        min_price: Lowest price, in whole currency units.
        max_price: Highest price, in whole currency units.
        bedrooms: Exact number of bedrooms (0 = studio).
        availability: available, pending or sold; omitted = any.
        limit: At most this many results (1-100).

    Returns:
        Matching listings, best location match first, then cheapest first. An empty list means
        nothing matched (a failed search).
    """
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit must be between 1 and {MAX_LIMIT}")
    if min_price is not None and max_price is not None and min_price > max_price:
        raise ValidationError("min price is above max price")
    if availability is not None and availability not in AVAILABILITY:
        raise ValidationError(f"availability must be one of {', '.join(AVAILABILITY)}")
    if bedrooms is not None and bedrooms < 0:
        raise ValidationError("bedrooms cannot be negative")

    if property_type is not None and property_type.strip().lower() in STUDIO_WORDS:
        if bedrooms not in (None, 0):
            raise ValidationError(f"a studio has no separate bedroom, not {bedrooms}")
        property_type, bedrooms = None, 0
    where = ["p.agent_id = :agent_id"]
    params: dict[str, Any] = {"agent_id": agent_id, "limit": limit}
    if property_type is not None:
        types = searched_types(property_type)
        names = {f"type{n}": kind for n, kind in enumerate(types)}
        where.append(f"p.property_type IN ({', '.join(':' + name for name in names)})")
        params |= names
    for column, op, name, value in (
        ("p.price", ">=", "min_price", min_price),
        ("p.price", "<=", "max_price", max_price),
        ("p.bedrooms", "=", "bedrooms", bedrooms),
        ("p.availability", "=", "availability", availability),
    ):
        if value is not None:
            where.append(f"{column} {op} :{name}")
            params[name] = value

    with store.read() as tx:
        if location is None or not location.strip():
            rows = tx.fetchall(
                f"SELECT {_COLUMNS}, NULL AS match_score FROM properties p "
                f"WHERE {' AND '.join(where)} ORDER BY p.price, p.property_id LIMIT :limit",
                params,
            )
            return [_property(row) for row in rows]
        terms = store.match_terms(tx, agent_id, location.strip())
        rows = _listings_in_matched_terms(store, tx, terms, where, params, limit)
    return [_property(row) for row in rows]


def _listings_in_matched_terms(
    store: Store,
    tx: Tx,
    terms: list[tuple[int, float]],
    where: list[str],
    params: dict[str, Any],
    limit: int,
) -> list[Row]:
    """The best `limit` listings in the locations of the matched terms, by (score desc, price,
    id), where a location's score is that of its best term.

    First the locations of the best-scoring terms alone: a few index probes, and usually a full
    page. Only when that page is short, one more query ranks all the other matched locations.
    """
    if not terms:
        return []
    top = max(score for _, score in terms)
    best_terms = [(term_id, score) for term_id, score in terms if score == top]
    # `+p.price` in ORDER BY: sort these few rows rather than walk the whole price index.
    first = tx.fetchall(
        f"""
        SELECT {_COLUMNS}, CAST(:top AS REAL) AS match_score
        FROM properties p
        WHERE {" AND ".join(where)} AND p.location IN (
            SELECT s.location FROM location_spans s
            WHERE s.agent_id = :agent_id
              AND s.term_id IN (SELECT term_id FROM ({store.terms_table("best")}) AS t)
        )
        ORDER BY +p.price, p.property_id
        LIMIT :limit
        """,
        params | store.terms_params("best", best_terms) | {"top": top},
    )
    if len(first) >= limit or len(best_terms) == len(terms):
        return first
    rest = tx.fetchall(
        f"""
        WITH scored AS MATERIALIZED ({store.terms_table("scored")}),
        best AS (
            SELECT s.location, MAX(t.score) AS score
            FROM scored t CROSS JOIN location_spans s  -- SQLite: the few terms drive the join
            WHERE s.agent_id = :agent_id AND s.term_id = t.term_id
            GROUP BY s.location
        )
        SELECT {_COLUMNS}, b.score AS match_score
        FROM best b JOIN properties p ON p.agent_id = :agent_id AND p.location = b.location
        WHERE {" AND ".join(where)} AND b.score < :top
        ORDER BY b.score DESC, p.price, p.property_id
        LIMIT :limit
        """,
        params | store.terms_params("scored", terms) | {"top": top, "limit": limit - len(first)},
    )
    return first + rest


def get_property(store: Store, property_id: int, agent_id: AgentId | None = None) -> Property:
    """One listing in full, by its id.

    Args:
        property_id: The listing's id, as search results give it.
        agent_id: When given, only that agent's listing is found (another agent's is "no
            property").
    """
    with store.read() as tx:
        row = tx.fetchone(
            f"SELECT {_COLUMNS} FROM properties p WHERE p.property_id = :property_id"
            + (" AND p.agent_id = :agent_id" if agent_id is not None else ""),
            {"property_id": property_id, "agent_id": agent_id},
        )
    if row is None:
        raise NotFoundError(f"no property {property_id}")
    return _property(row)


def properties_by_id(store: Store, agent_id: int, property_ids: list[int]) -> list[Property]:
    """The agent's listings with these ids, as they are now, in the order asked (an id that is
    gone, or another agent's, is left out). One query."""
    ids = list(dict.fromkeys(int(i) for i in property_ids))
    if not ids:
        return []
    names = {f"id{n}": value for n, value in enumerate(ids)}
    with store.read() as tx:
        rows = tx.fetchall(
            f"SELECT {_COLUMNS} FROM properties p WHERE p.agent_id = :agent_id "
            f"AND p.property_id IN ({', '.join(':' + name for name in names)})",
            {"agent_id": agent_id, **names},
        )
    found = {p.property_id: p for p in map(_property, rows)}
    return [found[i] for i in ids if i in found]
