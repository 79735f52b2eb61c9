"""Import an agent's listings from CSV, JSON (an array) or YAML (a list).

All or nothing: every row is validated first, and the file is written in one transaction. A row
with an external reference (`ref`) updates the listing imported earlier with that reference.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from execution.agents import find_agent
from execution.clock import utcnow
from execution.errors import ValidationError
from execution.listings import FieldError, Listing, canonical_fields, parse_listing
from execution.location_index import refresh_location_index
from execution.store import Store

Format = Literal["csv", "json", "yaml"]
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_REPORTED_ERRORS = 20
WRITE_BATCH = 1000

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phase is "validate" or "write"."""


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based data row (a CSV's header is not a row)
    field: str | None
    message: str
    line: int | None = None  # CSV only: the file line the row ends on

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line else "")
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class ImportRejected(ValidationError):
    """The file has bad rows; nothing was written."""

    def __init__(self, path: Path, errors: list[RowError], total_bad: int) -> None:
        more = f" (and {total_bad - len(errors)} more)" if total_bad > len(errors) else ""
        lines = "; ".join(str(e) for e in errors[:5])
        super().__init__(f"{path.name}: {total_bad} bad row(s), nothing imported{more}. {lines}")
        self.errors = errors
        self.total_bad = total_bad


@dataclass
class ImportResult:
    agent_id: int
    file: str
    rows: int
    created: int
    updated: int
    dry_run: bool
    ignored_columns: list[str] = field(default_factory=list)
    locations_added: int = 0
    locations_removed: int = 0


def detect_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".json":
        return "json"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    raise ValidationError(f"{path.name}: cannot tell the format from {suffix!r}: use --format")


def read_rows(path: Path, fmt: Format) -> Iterator[tuple[int, int | None, Mapping[str, Any]]]:
    """Yield (row number, CSV line or None, raw row) from a listings file."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    if size > MAX_FILE_BYTES:
        raise ValidationError(f"{path.name} is {size / 2**20:.0f} MiB; the limit is 64 MiB")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationError(f"{path.name} is not UTF-8 text (byte {exc.start})") from None
    if fmt == "csv":
        yield from _csv_rows(path.name, text)
        return
    try:
        data = json.loads(text) if fmt == "json" else yaml.load(text, Loader=_YamlLoader)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ValidationError(f"{path.name} is not valid {fmt.upper()}: {exc}") from None
    if fmt == "yaml" and isinstance(data, dict) and isinstance(data.get("properties"), list):
        data = data["properties"]
    if data is None:
        return
    if not isinstance(data, list):
        raise ValidationError(f"{path.name}: expected a list of listings at the top level")
    for number, row in enumerate(data, start=1):
        if not isinstance(row, dict):
            raise ValidationError(f"{path.name}: row {number} is not an object of fields")
        yield number, None, row


_YamlLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _csv_rows(name: str, text: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """The rows of a CSV file, strictly read: a quote never closed, or text after a closing
    quote, is said with the line where its row begins (a lenient reader would run the quoted
    cell on to the end of the file and report a missing column instead)."""
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    begins = 1  # the line the next row begins on
    try:
        if not reader.fieldnames:
            return
        begins = reader.line_num + 1
        for number, row in enumerate(reader, start=1):
            if None in row:
                raise ValidationError(
                    f"{name}: row {number} (line {reader.line_num}) has more cells than the "
                    "header has columns"
                )
            yield number, reader.line_num, row
            begins = reader.line_num + 1
    except csv.Error as exc:
        what = (
            "a quoted cell is never closed"
            if "end of data" in str(exc)
            else f"the quoting is broken ({exc})"
        )
        raise ValidationError(f"{name}: line {begins}: {what}") from None


def validate_file(
    path: Path, fmt: Format | None = None, progress: Progress | None = None
) -> tuple[list[Listing], list[str]]:
    """Parse and validate every row: (listings, ignored columns), or raise ImportRejected."""
    fmt = fmt or detect_format(path)
    listings: list[Listing] = []
    errors: list[RowError] = []
    total_bad = 0
    ignored: dict[str, None] = {}
    seen_refs: dict[str, int] = {}
    for number, line, raw in read_rows(path, fmt):
        try:
            fields, extra = canonical_fields(raw)
            ignored.update(dict.fromkeys(extra))
            listing = parse_listing(fields)
            if listing.external_ref is not None:
                first = seen_refs.setdefault(listing.external_ref, number)
                if first != number:
                    raise FieldError("external_ref", f"repeats row {first}'s reference")
            listings.append(listing)
        except FieldError as exc:
            total_bad += 1
            if len(errors) < MAX_REPORTED_ERRORS:
                errors.append(RowError(number, exc.field, exc.message, line))
        if progress and number % 500 == 0:
            progress("validate", number, 0)
    if total_bad:
        raise ImportRejected(path, errors, total_bad)
    if not listings:
        raise ValidationError(f"{path.name} has no listings")
    return listings, list(ignored)


_UPSERT = """
INSERT INTO properties (agent_id, external_ref, title, location, price, property_type, bedrooms,
                        availability, key_selling_points, floor_area_sqft)
VALUES (:agent_id, :external_ref, :title, :location, :price, :property_type, :bedrooms,
        :availability, :key_selling_points, :floor_area_sqft)
ON CONFLICT (agent_id, external_ref) DO UPDATE SET
    title = excluded.title, location = excluded.location, price = excluded.price,
    property_type = excluded.property_type, bedrooms = excluded.bedrooms,
    availability = excluded.availability, key_selling_points = excluded.key_selling_points,
    floor_area_sqft = excluded.floor_area_sqft, updated_at = :now
"""


def import_properties(
    store: Store,
    agent: str | int,
    path: Path,
    *,
    fmt: Format | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportResult:
    """Validate `path` completely, then write all of it in one transaction (or nothing)."""
    listings, ignored = validate_file(path, fmt, progress)
    with store.transaction() as tx:
        owner = find_agent(tx, agent)
        store.lock_agent_listings(tx, owner.agent_id)
        known_refs = {
            row["external_ref"]
            for row in tx.fetchall(
                "SELECT external_ref FROM properties "
                "WHERE agent_id = :agent_id AND external_ref IS NOT NULL",
                {"agent_id": owner.agent_id},
            )
        }
        updated = sum(1 for item in listings if item.external_ref in known_refs)
        result = ImportResult(
            agent_id=owner.agent_id,
            file=str(path),
            rows=len(listings),
            created=len(listings) - updated,
            updated=updated,
            dry_run=dry_run,
            ignored_columns=ignored,
        )
        if dry_run:
            return result
        now = utcnow()
        for start in range(0, len(listings), WRITE_BATCH):
            batch = listings[start : start + WRITE_BATCH]
            tx.executemany(
                _UPSERT,
                ({"agent_id": owner.agent_id, "now": now} | item.to_params() for item in batch),
            )
            if progress:
                progress("write", start + len(batch), len(listings))
        result.locations_added, result.locations_removed = refresh_location_index(
            store, tx, owner.agent_id
        )
    return result
