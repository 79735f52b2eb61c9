"""Importing listings: formats, validation with row numbers, all-or-nothing, upsert by reference."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from execution.errors import NotFoundError, ValidationError
from execution.fact_check import check_facts
from execution.listings import FieldError, parse_floor_area
from execution.property_import import ImportRejected, import_properties, validate_file
from execution.property_lookup import search_properties
from execution.store import Store
from tests.test_store import make_agent

ROWS = [
    {
        "ref": "A1",
        "title": "Tampines 3BR",
        "location": "Tampines Street 81",
        "price": "S$1,250,000",
        "type": "Condominium",
        "bedrooms": "3",
        "availability": "available",
        "key_selling_points": "Near MRT; High floor",
    },
    {
        "ref": "A2",
        "title": "Bishan HDB",
        "location": "Bishan Street 21",
        "price": "650k",
        "type": "hdb flat",
        "bedrooms": "studio",
        "availability": "",
        "key_selling_points": "",
    },
]


def write_csv(path: Path, rows: list[dict[str, object]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def count(store: Store) -> int:
    with store.read() as tx:
        return int(tx.scalar("SELECT COUNT(*) FROM properties"))


@pytest.mark.parametrize("fmt", ["csv", "json", "yaml"])
def test_each_format_imports_and_normalizes(store: Store, tmp_path: Path, fmt: str) -> None:
    agent_id = make_agent(store)
    path = tmp_path / f"listings.{fmt}"
    if fmt == "csv":
        write_csv(path, ROWS)
    elif fmt == "json":
        path.write_text(json.dumps(ROWS))
    else:
        path.write_text(yaml.safe_dump(ROWS))
    result = import_properties(store, agent_id, path)
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    found = {p.external_ref: p for p in search_properties(store, agent_id)}
    assert found["A1"].price == 1_250_000
    assert found["A1"].property_type == "condo"
    assert found["A1"].bedrooms == 3
    assert found["A1"].key_selling_points == ["Near MRT", "High floor"]
    assert found["A2"].price == 650_000
    assert found["A2"].property_type == "HDB"
    assert found["A2"].bedrooms == 0
    assert found["A2"].availability == "available"  # blank means available
    assert found["A2"].key_selling_points == []


def test_reimport_updates_by_reference_and_adds_unreferenced(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    first = [*ROWS, {**ROWS[0], "ref": "", "title": "No ref"}]
    import_properties(store, agent_id, write_csv(tmp_path / "a.csv", first))
    changed = [{**ROWS[0], "price": "1300000", "availability": "pending"}, ROWS[1]]
    result = import_properties(store, agent_id, write_csv(tmp_path / "b.csv", changed))
    assert (result.created, result.updated) == (0, 2)
    assert count(store) == 3
    a1 = next(p for p in search_properties(store, agent_id) if p.external_ref == "A1")
    assert (a1.price, a1.availability) == (1_300_000, "pending")


def test_references_are_per_agent(store: Store, tmp_path: Path) -> None:
    a, b = make_agent(store, 1), make_agent(store, 2)
    path = write_csv(tmp_path / "l.csv", ROWS)
    import_properties(store, a, path)
    result = import_properties(store, b, path)
    assert result.created == 2  # agent 2's A1 is not agent 1's A1
    assert count(store) == 4
    assert {p.agent_id for p in search_properties(store, a)} == {a}


@pytest.mark.parametrize(
    ("bad", "field", "fragment"),
    [
        ({"price": "a lot"}, "price", "not a price"),
        ({"price": "-5"}, "price", "not a price"),
        ({"bedrooms": "2.5"}, "bedrooms", "whole number"),
        ({"bedrooms": "many"}, "bedrooms", "whole number"),
        ({"type": "castle"}, "type", "unknown type"),
        ({"availability": "rented"}, "availability", "must be one of"),
        ({"title": "  "}, "title", "is required"),
        ({"location": ""}, "location", "is required"),
        ({"title": "x" * 301}, "title", "longer than 300"),
    ],
)
def test_bad_row_is_reported_with_row_and_field_and_nothing_is_written(
    store: Store, tmp_path: Path, bad: dict[str, str], field: str, fragment: str
) -> None:
    agent_id = make_agent(store)
    rows = [ROWS[0], ROWS[1], {**ROWS[0], "ref": "A3", **bad}, {**ROWS[1], "ref": "A4"}]
    path = write_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ImportRejected) as caught:
        import_properties(store, agent_id, path)
    [error] = caught.value.errors
    assert (error.row, error.line, error.field) == (3, 4, field)
    assert fragment in error.message
    assert "row 3 (line 4)" in str(caught.value)
    assert count(store) == 0


def test_bad_types_in_json_are_reported(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    rows = [
        {"title": "ok", "location": "Bishan", "price": 500000, "type": "condo"},
        {"title": ["not", "text"], "location": "Bishan", "price": 500000, "type": "condo"},
        {"title": "ok", "location": "Bishan", "price": True, "type": "condo"},
        {"title": "ok", "location": "Bishan", "price": 500000, "type": "condo", "bedrooms": {}},
        {
            "title": "ok",
            "location": "Bishan",
            "price": 500000,
            "type": "condo",
            "key_selling_points": 7,
        },
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(rows))
    with pytest.raises(ImportRejected) as caught:
        import_properties(store, agent_id, path)
    assert [(e.row, e.field) for e in caught.value.errors] == [
        (2, "title"),
        (3, "price"),
        (4, "bedrooms"),
        (5, "key_selling_points"),
    ]
    assert caught.value.total_bad == 4
    assert count(store) == 0


def test_a_failure_while_writing_leaves_nothing_behind(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_id = make_agent(store)
    import_properties(store, agent_id, write_csv(tmp_path / "l.csv", ROWS))
    monkeypatch.setattr("execution.property_import.WRITE_BATCH", 1)
    rows = [{**ROWS[0], "ref": f"N{i}"} for i in range(5)]

    def crash_after_first_batch(phase: str, done: int, total: int) -> None:
        if phase == "write" and done == 2:
            raise KeyboardInterrupt  # an operator's Ctrl-C half-way through the write

    with pytest.raises(KeyboardInterrupt):
        import_properties(
            store, agent_id, write_csv(tmp_path / "m.csv", rows), progress=crash_after_first_batch
        )
    assert count(store) == 2  # only the earlier import


def test_duplicate_reference_in_one_file(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    path = write_csv(tmp_path / "dup.csv", [ROWS[0], ROWS[1], ROWS[0]])
    with pytest.raises(ImportRejected, match=r"row 3 .*repeats row 1"):
        import_properties(store, agent_id, path)


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("empty.csv", "", "has no listings"),
        ("header-only.csv", "title,location,price,type\n", "has no listings"),
        ("empty.json", "[]", "has no listings"),
        ("empty.yaml", "", "has no listings"),
        ("object.json", '{"title": "x"}', "list of listings"),
        ("broken.json", "[{", "not valid JSON"),
        ("broken.yaml", "- a: [", "not valid YAML"),
        ("scalars.json", "[1, 2]", "row 1 is not an object"),
        ("listings.txt", "whatever", "cannot tell the format"),
        ("wide.csv", "title,location\na,b,c\n", "more cells than the header"),
        # the row whose quote is never closed begins on line 3 (not "location: is required")
        ("quote.csv", 'title,location\na,b\n"c,d\ne,f\n', "line 3: a quoted cell is never closed"),
        ("after.csv", 'title,location\n"a" b,c\n', r"line 2: the quoting is broken"),
    ],
)
def test_unusable_files_are_refused_clearly(
    store: Store, tmp_path: Path, name: str, content: str, fragment: str
) -> None:
    agent_id = make_agent(store)
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValidationError, match=fragment):
        import_properties(store, agent_id, path)
    assert count(store) == 0


def test_non_utf8_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("title,location,price,type\nCaf\xe9,Bishan,1,condo\n".encode("latin-1"))
    with pytest.raises(ValidationError, match="not UTF-8"):
        validate_file(path)
    with pytest.raises(ValidationError, match="cannot read"):
        validate_file(tmp_path / "missing.csv")


def test_unknown_agent(store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="no agent"):
        import_properties(store, "Nobody", write_csv(tmp_path / "l.csv", ROWS))


def test_ignored_columns_are_reported(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    rows = [{**row, "photo_url": "http://x"} for row in ROWS]
    result = import_properties(store, agent_id, write_csv(tmp_path / "l.csv", rows))
    assert result.ignored_columns == ["photo_url"]


def test_dry_run_writes_nothing(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    result = import_properties(store, agent_id, write_csv(tmp_path / "l.csv", ROWS), dry_run=True)
    assert (result.rows, result.created, result.dry_run) == (2, 2, True)
    assert count(store) == 0


def test_ten_megabyte_file_imports_whole(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    path = tmp_path / "big.csv"
    areas = ["Tampines", "Bishan", "Bukit Timah", "Punggol", "Orchard", "Queenstown"]
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            [
                "ref",
                "title",
                "location",
                "price",
                "type",
                "bedrooms",
                "availability",
                "key_selling_points",
            ]
        )
        n = 0
        while out.tell() < 10 * 1024 * 1024:
            area = areas[n % len(areas)]
            writer.writerow(
                [
                    f"R{n}",
                    f"{area} listing {n} " + "spacious " * 10,
                    f"{area} Street {n % 90}",
                    500_000 + n,
                    "condo",
                    n % 5,
                    "available",
                    "Near MRT; Renovated; " + "Good view " * 8,
                ]
            )
            n += 1
    assert path.stat().st_size >= 10 * 1024 * 1024
    phases: set[str] = set()
    result = import_properties(store, agent_id, path, progress=lambda p, d, t: phases.add(p))
    assert result.created == n
    assert count(store) == n
    assert phases == {"validate", "write"}
    hits = search_properties(store, agent_id, location="tampines stret 72", limit=5)
    assert [h.location for h in hits] == ["Tampines Street 72"] * 5


def test_a_bad_last_row_of_a_big_file_rejects_all_of_it(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    rows = [{**ROWS[0], "ref": f"R{i}"} for i in range(3000)]
    rows.append({**ROWS[0], "ref": "LAST", "price": "free"})
    with pytest.raises(ImportRejected, match="row 3001"):
        import_properties(store, agent_id, write_csv(tmp_path / "l.csv", rows))
    assert count(store) == 0


def indexed_locations(store: Store, agent_id: int) -> tuple[set[str], set[str], int]:
    """(locations of listings, locations in the search index, orphan terms)."""
    with store.read() as tx:
        listed = {
            r["location"]
            for r in tx.fetchall(
                "SELECT DISTINCT location FROM properties WHERE agent_id = :a", {"a": agent_id}
            )
        }
        indexed = {
            r["location"]
            for r in tx.fetchall(
                "SELECT DISTINCT location FROM location_spans WHERE agent_id = :a", {"a": agent_id}
            )
        }
        orphans = tx.scalar(
            "SELECT COUNT(*) FROM location_terms t WHERE agent_id = :a AND NOT EXISTS "
            "(SELECT 1 FROM location_spans s WHERE s.term_id = t.term_id)",
            {"a": agent_id},
        )
    return listed, indexed, int(orphans)


def test_concurrent_imports_for_one_agent_keep_the_index_whole(
    store: Store, tmp_path: Path
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    agent_id = make_agent(store)
    files = []
    for n in range(4):
        rows = [
            {**ROWS[0], "ref": f"F{n}-{i}", "location": f"Area {n} Street {i % 7}"}
            for i in range(150)
        ]
        files.append(write_csv(tmp_path / f"f{n}.csv", rows))
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda f: import_properties(store, agent_id, f), files))
    assert sum(r.created for r in results) == 600
    listed, indexed, orphans = indexed_locations(store, agent_id)
    assert listed == indexed and len(listed) == 28 and orphans == 0


def test_reimports_that_drop_locations_leave_no_orphan_terms(store: Store, tmp_path: Path) -> None:
    agent_id = make_agent(store)
    base = {**ROWS[0]}
    for n, where in enumerate(["Tampines Street 81", "Bishan Street 21", "Tampines Avenue 5"]):
        import_properties(
            store, agent_id, write_csv(tmp_path / f"{n}.csv", [{**base, "location": where}])
        )
        listed, indexed, orphans = indexed_locations(store, agent_id)
        assert listed == indexed == {where} and orphans == 0


def test_a_floor_area_is_imported_in_square_feet_and_checked(store: Store, tmp_path: Path) -> None:
    assert parse_floor_area("93 sqm") == 1001 and parse_floor_area("1,001 sq ft") == 1001
    assert parse_floor_area("") is None
    for bad in ("huge", "10", True):
        with pytest.raises(FieldError):
            parse_floor_area(bad)
    agent_id = make_agent(store)
    rows = [
        {
            "title": "Bedok 4-room",
            "location": "Bedok North",
            "price": "548000",
            "type": "HDB",
            "bedrooms": "3",
            "size": "93 sqm",
        }
    ]
    import_properties(store, agent_id, write_csv(tmp_path / "l.csv", rows))
    [found] = search_properties(store, agent_id, location="bedok")
    assert found.floor_area_sqft == 1001
    assert "1,001 sq ft" in found.facts and "HDB 4-room" in found.facts
    assert check_facts("The Bedok flat is 93 sqm.", [found]) == []
    assert check_facts("The Bedok flat is 1,200 sq ft.", [found])


@pytest.mark.parametrize("price", ["0", "1.2", "-5", "5000", "2000000000", "nan"])
def test_a_price_outside_a_sane_range_is_refused_with_its_row(
    store: Store, tmp_path: Path, price: str
) -> None:
    """Issue 16.6: a price of 0 (or 1.2 meant as 1.2M) must not become a listing."""
    agent_id = make_agent(store)
    good = {"title": "Bedok 4-room", "location": "Bedok North", "price": "548000", "type": "HDB"}
    bad = good | {"title": "Typo", "price": price}
    with pytest.raises(ImportRejected) as caught:
        import_properties(store, agent_id, write_csv(tmp_path / "p.csv", [good, bad]))
    [error] = caught.value.errors
    assert (error.row, error.line, error.field) == (2, 3, "price")
    assert "outside 10,000 to 1,000,000,000" in error.message or "not a price" in error.message
    assert count(store) == 0
