"""Search correctness on both databases, checked against an independent computation.

The reference below is written from pg_trgm's documentation, not from execution/location_match:
it scores every contiguous run of words of a location and keeps the best, then filters and sorts
the whole data set in plain Python. Each backend must return exactly the reference's list.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from execution import location_match
from execution.errors import ValidationError
from execution.property_import import import_properties
from execution.property_lookup import get_property, properties_by_id, search_properties
from execution.store import Store
from tests.test_store import make_agent

AREAS = [
    "Tampines",
    "Bukit Timah",
    "Bukit Batok",
    "Punggol",
    "Orchard",
    "Queenstown",
    "Sengkang",
    "Ang Mo Kio",
    "Marine Parade",
    "Jurong West",
    "Holland Village",
    "Toa Payoh",
]
STREETS = ["Street 11", "Avenue 5", "Road", "Drive 16", "Walk", "Central", "Lorong 1", ""]
TYPES = ["condo", "HDB", "landed", "apartment", "executive condo"]


# --- the independent reference ---------------------------------------------------------------


def ref_trigrams(text: str) -> frozenset[str]:
    out = set()
    for word in re.split(r"[^0-9a-z]+", text.lower()):
        if word:
            padded = "  " + word + " "
            out |= {padded[i : i + 3] for i in range(len(word) + 1)}
    return frozenset(out)


def ref_score(query: str, location: str) -> float:
    q = ref_trigrams(query)
    ws = [w for w in re.split(r"[^0-9a-z]+", location.lower()) if w]
    best = 0.0
    for i in range(len(ws)):
        for j in range(i + 1, len(ws) + 1):
            t = ref_trigrams(" ".join(ws[i:j]))
            if q and t:
                best = max(best, len(q & t) / len(q | t))
    return best


# what a buyer means by a type (written here from the spec, not read from the code)
MEANT = {"condo": {"condo", "executive condo", "penthouse"}}


def reference_search(rows: list[dict], location: str | None, **f) -> list[tuple[str, float | None]]:
    hits = []
    for r in rows:
        wanted = f.get("property_type")
        if wanted and r["type"] not in MEANT.get(wanted, {wanted}):
            continue
        if f.get("min_price") is not None and r["price"] < f["min_price"]:
            continue
        if f.get("max_price") is not None and r["price"] > f["max_price"]:
            continue
        if f.get("bedrooms") is not None and r["bedrooms"] != f["bedrooms"]:
            continue
        if f.get("availability") and r["availability"] != f["availability"]:
            continue
        score = ref_score(location, r["location"]) if location else None
        if score is not None and score < 0.3:
            continue
        hits.append((r, score))
    hits.sort(key=lambda h: (-(h[1] or 0), h[0]["price"], h[0]["n"]))
    limit = f.get("limit", 10)
    return [(h[0]["ref"], h[1]) for h in hits[:limit]]


# --- data ------------------------------------------------------------------------------------


def dataset(seed: int = 7, n: int = 400) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        area, street = rng.choice(AREAS), rng.choice(STREETS)
        rows.append(
            {
                "n": i,
                "ref": f"P{i:04d}",
                "title": f"{area} home {i}",
                "location": f"{area} {street}".strip(),
                "price": rng.randrange(300, 5000) * 1000,
                "type": rng.choice(TYPES),
                "bedrooms": rng.randint(0, 5),
                "availability": rng.choice(["available", "available", "pending", "sold"]),
                "key_selling_points": [],
            }
        )
    return rows


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> tuple[Store, int, list[dict]]:
    import json

    agent_id = make_agent(store)
    rows = dataset()
    path = tmp_path / "listings.json"
    path.write_text(json.dumps([{k: v for k, v in r.items() if k != "n"} for r in rows]))
    import_properties(store, agent_id, path)
    # a second agent with look-alike listings that must never show up
    other = make_agent(store, 2)
    import_properties(store, other, path)
    return store, agent_id, rows


def check(loaded: tuple[Store, int, list[dict]], location: str | None, **filters) -> list:
    store, agent_id, rows = loaded
    got = search_properties(store, agent_id, location=location, **filters)
    expected = reference_search(rows, location, **filters)
    assert [p.external_ref for p in got] == [ref for ref, _ in expected]
    for p, (_, score) in zip(got, expected, strict=True):
        assert p.agent_id == agent_id
        if score is None:
            assert p.match_score is None
        else:
            assert p.match_score == pytest.approx(score, abs=1e-4)
    return got


# --- tests -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "must_be_first"),
    [
        ("tampnes", "Tampines"),  # a dropped letter
        ("Tampinse", "Tampines"),  # swapped letters
        ("orchad", "Orchard"),
        ("queenstwn", "Queenstown"),
        ("sengkng", "Sengkang"),
        ("Holand vilage", "Holland Village"),
    ],
)
def test_typos_find_the_intended_place(loaded, query: str, must_be_first: str) -> None:
    got = check(loaded, query, limit=20)
    assert got and got[0].location.startswith(must_be_first)


@pytest.mark.parametrize("query", ["bukit", "Timah", "ang mo", "parade", "jurong", "village"])
def test_partial_names_match_exactly(loaded, query: str) -> None:
    got = check(loaded, query, limit=50)
    assert got and got[0].match_score == 1.0
    assert all(query.lower() in p.location.lower() for p in got if p.match_score == 1.0)


@pytest.mark.parametrize("query", ["tam", "orc", "pun"])
def test_matches_at_the_threshold_edge(loaded, query: str) -> None:
    got = check(loaded, query, limit=100)
    assert min(p.match_score for p in got) < 0.34  # the edge itself is in the data set


def test_ranking_puts_closer_matches_first(loaded) -> None:
    got = check(loaded, "bukit timah road", limit=100)
    scores = [p.match_score for p in got]
    assert scores == sorted(scores, reverse=True)
    assert got[0].location == "Bukit Timah Road"
    assert any(p.location.startswith("Bukit Batok") for p in got)  # shares "bukit": ranked lower
    assert {p.location for p in got if p.match_score == 1.0} == {"Bukit Timah Road"}


@pytest.mark.parametrize(
    "filters",
    [
        {"property_type": "condo"},
        {"min_price": 1_000_000, "max_price": 2_000_000},
        {"bedrooms": 3},
        {"availability": "sold"},
        {
            "property_type": "HDB",
            "bedrooms": 2,
            "max_price": 3_000_000,
            "availability": "available",
        },
        {"limit": 3},
    ],
)
def test_filters_with_and_without_location(loaded, filters: dict) -> None:
    check(loaded, None, **filters)
    check(loaded, "punggol", **filters)
    check(loaded, "bukit", **{**filters, "limit": filters.get("limit", 100)})


def test_type_filter_accepts_common_spellings(loaded) -> None:
    store, agent_id, _ = loaded
    spelled = search_properties(store, agent_id, property_type="Condominium", limit=100)
    assert spelled == search_properties(store, agent_id, property_type="condo", limit=100)


def test_a_type_finds_what_a_buyer_means_by_it(store: Store, tmp_path: Path) -> None:
    import json

    agent_id = make_agent(store, 1)
    homes = [("condo", 2), ("executive condo", 3), ("penthouse", 4), ("apartment", 0),
             ("terrace", 4), ("detached", 5), ("HDB", 3)]  # fmt: skip
    path = tmp_path / "kinds.json"
    path.write_text(json.dumps([
        {"title": f"A {kind}", "location": "Somewhere Road", "price": 900_000 + 1000 * n,
         "type": kind, "bedrooms": rooms}
        for n, (kind, rooms) in enumerate(homes)
    ]))  # fmt: skip
    import_properties(store, agent_id, path)

    def kinds(**filters: Any) -> list[str]:
        found = search_properties(store, agent_id, limit=100, **filters)
        return [p.property_type for p in found]

    assert kinds(property_type="condo") == ["condo", "executive condo", "penthouse"]
    assert kinds(property_type="EC") == ["executive condo"]
    assert kinds(property_type="landed") == ["terrace", "detached"]
    assert kinds(property_type="studio") == ["apartment"]  # 0 bedrooms, whatever the type
    assert kinds(property_type="Studio", location="somewhere") == ["apartment"]
    with pytest.raises(ValidationError, match="no separate bedroom"):
        search_properties(store, agent_id, property_type="studio", bedrooms=2)


def test_nothing_matches_an_unknown_place(loaded) -> None:
    store, agent_id, _ = loaded
    assert search_properties(store, agent_id, location="Kuala Lumpur") == []
    assert search_properties(store, agent_id, location="!!!") == []


def test_another_agents_listings_are_invisible(store: Store, tmp_path: Path) -> None:
    import json

    a, b = make_agent(store, 1), make_agent(store, 2)
    path = tmp_path / "b.json"
    path.write_text(
        json.dumps(
            [{"title": "B only", "location": "Sentosa Cove", "price": 500000, "type": "landed"}]
        )
    )
    import_properties(store, b, path)
    assert search_properties(store, a, location="sentosa") == []
    [listing] = search_properties(store, b, location="sentosa")
    with pytest.raises(Exception, match="no property"):
        get_property(store, listing.property_id, agent_id=a)
    assert get_property(store, listing.property_id, agent_id=b).title == "B only"


def test_properties_by_id_keeps_the_order_and_the_tenant(loaded) -> None:
    store, agent_id, _rows = loaded
    mine = [p.property_id for p in search_properties(store, agent_id, limit=3)]
    with store.read() as tx:
        theirs = tx.scalar("SELECT MIN(property_id) FROM properties WHERE agent_id <> :a",
                           {"a": agent_id})  # fmt: skip
    asked = [mine[2], theirs, mine[0], 10**9, mine[2]]  # another agent's, a missing one, again
    got = properties_by_id(store, agent_id, asked)
    assert [p.property_id for p in got] == [mine[2], mine[0]]
    assert got[0] == get_property(store, mine[2], agent_id)
    assert properties_by_id(store, agent_id, []) == []


def test_reimport_moves_a_listing_to_its_new_location(store: Store, tmp_path: Path) -> None:
    import json

    agent_id = make_agent(store)
    path = tmp_path / "l.json"
    base = {"ref": "X", "title": "Moving", "price": 500000, "type": "condo"}
    path.write_text(json.dumps([base | {"location": "Clementi Avenue 6"}]))
    import_properties(store, agent_id, path)
    path.write_text(json.dumps([base | {"location": "Pasir Ris Drive 1"}]))
    result = import_properties(store, agent_id, path)
    assert (result.locations_added, result.locations_removed) == (1, 1)
    assert search_properties(store, agent_id, location="clementi") == []
    assert [p.title for p in search_properties(store, agent_id, location="pasir ris")] == ["Moving"]


def test_bad_search_arguments(loaded) -> None:
    store, agent_id, _ = loaded
    for bad in (
        {"limit": 0},
        {"limit": 101},
        {"min_price": 5, "max_price": 1},
        {"bedrooms": -1},
        {"availability": "gone"},
        {"property_type": "castle"},
    ):
        with pytest.raises(ValidationError):
            search_properties(store, agent_id, **bad)


# --- the similarity itself -------------------------------------------------------------------

texts = st.text(alphabet="abcdeimnoprst 19-", min_size=0, max_size=24)


@settings(max_examples=200, deadline=None)
@given(texts, texts)
def test_location_match_agrees_with_the_reference(a: str, b: str) -> None:
    assert location_match.trigrams(a) == ref_trigrams(a)
    assert location_match.similarity(a, b) == pytest.approx(
        len(ref_trigrams(a) & ref_trigrams(b)) / len(ref_trigrams(a) | ref_trigrams(b))
        if ref_trigrams(a) and ref_trigrams(b)
        else 0.0
    )


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=texts, b=texts)
def test_postgres_pg_trgm_agrees_with_the_reference(postgres_store: Store, a: str, b: str) -> None:
    with postgres_store.read() as tx:
        got = tx.scalar("SELECT similarity(:a, :b)", {"a": a, "b": b})
    assert got == pytest.approx(location_match.similarity(a, b), abs=1e-6)


@pytest.fixture
def postgres_store(request: pytest.FixtureRequest):
    from execution.store import open_store
    from tests.conftest import fresh_postgres_database

    with open_store(fresh_postgres_database(request.getfixturevalue("postgres_server"))) as s:
        yield s
