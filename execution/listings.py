"""A listing as the agent gives it (one row of an import file), validated and normalized.

Every rule about what a listing may contain lives here, so the importer and any later writer
agree. A bad value raises `FieldError` naming the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from execution.errors import ValidationError

AVAILABILITY = ("available", "pending", "sold")

# canonical type -> the spellings accepted for it (compared lower-cased, spaces/dashes collapsed)
PROPERTY_TYPES: dict[str, tuple[str, ...]] = {
    "condo": ("condo", "condominium", "private condo"),
    "executive condo": ("executive condo", "ec", "executive condominium"),
    "HDB": ("hdb", "hdb flat", "public housing"),
    "apartment": ("apartment", "flat"),
    "serviced apartment": ("serviced apartment",),
    "penthouse": ("penthouse",),
    "landed": ("landed", "landed house", "landed property"),
    "terrace": ("terrace", "terraced house", "terrace house"),
    "semi-detached": ("semi detached", "semi-d", "semid", "semi detached house"),
    "detached": ("detached", "detached house", "bungalow", "good class bungalow", "gcb"),
    "cluster house": ("cluster house", "strata landed"),
    "townhouse": ("townhouse", "town house"),
    "shophouse": ("shophouse", "shop house"),
    "commercial": ("commercial", "office", "retail"),
    "land": ("land", "plot"),
}
SEARCHED_TYPES: dict[str, tuple[str, ...]] = {
    "condo": ("condo", "executive condo", "penthouse"),
    "apartment": ("apartment", "serviced apartment"),
    "landed": ("landed", "terrace", "semi-detached", "detached", "cluster house", "townhouse"),
}
"""What a search for a type finds: a buyer asking for a condo means an executive condo or a
penthouse too, one asking for landed means every kind of house. Any other type: itself."""
STUDIO_WORDS = frozenset({"studio", "studio apartment", "studio flat"})
"""A studio is no type of building but a home without a separate bedroom (0 bedrooms)."""
_TYPE_LOOKUP = {
    re.sub(r"[\s\-_]+", " ", alias): canonical
    for canonical, aliases in PROPERTY_TYPES.items()
    for alias in (*aliases, canonical.lower())
}

FIELD_ALIASES = {
    "external_ref": ("external_ref", "ref", "reference", "listing_ref"),
    "title": ("title", "name"),
    "location": ("location", "address", "area"),
    "price": ("price", "asking_price"),
    "property_type": ("type", "property_type"),
    "bedrooms": ("bedrooms", "beds", "bedroom"),
    "availability": ("availability", "status"),
    "key_selling_points": ("key_selling_points", "selling_points", "highlights"),
    "floor_area_sqft": ("floor_area_sqft", "floor_area", "size", "size_sqft", "sqft", "built_up"),
}
_ALIAS_TO_FIELD = {alias: name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
REQUIRED = ("title", "location", "price", "property_type")
MAX_TEXT = 300
MAX_POINTS = 20
MAX_POINT_LENGTH = 300


class FieldError(ValidationError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Listing:
    title: str
    location: str
    price: int
    property_type: str
    bedrooms: int | None
    availability: str
    key_selling_points: tuple[str, ...]
    external_ref: str | None = None
    floor_area_sqft: int | None = None

    def to_params(self) -> dict[str, Any]:
        return {
            "external_ref": self.external_ref,
            "title": self.title,
            "location": self.location,
            "price": self.price,
            "property_type": self.property_type,
            "bedrooms": self.bedrooms,
            "availability": self.availability,
            "key_selling_points": json.dumps(list(self.key_selling_points), ensure_ascii=False),
            "floor_area_sqft": self.floor_area_sqft,
        }


def canonical_fields(raw: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Map a row's column names onto listing fields; returns (fields, ignored column names)."""
    fields: dict[str, Any] = {}
    ignored: list[str] = []
    for key, value in raw.items():
        name = _ALIAS_TO_FIELD.get(str(key).strip().lower().replace(" ", "_"))
        if name is None:
            ignored.append(str(key))
        elif name in fields:
            raise FieldError(name, f"given twice (as {key!r} and another column)")
        else:
            fields[name] = value
    return fields, ignored


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise FieldError(field, f"expected text, got {type(value).__name__}")
    text = " ".join(str(value).split())
    if not text:
        raise FieldError(field, "is empty")
    if len(text) > MAX_TEXT:
        raise FieldError(field, f"longer than {MAX_TEXT} characters")
    return text


_PRICE = re.compile(
    r"(?i)^(?:s\$|sgd|usd|us\$|\$)?\s*([0-9][0-9,_ ]*(?:\.[0-9]+)?)\s*([km]|mil|million)?$"
)


MIN_PRICE = 10_000
MAX_PRICE = 1_000_000_000
"""The prices a listing may have: below S$10,000 or above S$1B is a typo ("0", "1.2" for 1.2M)."""


def parse_price(value: Any) -> int:
    """A price in whole currency units: 1250000, "1,250,000", "S$1.25M", "850k", within the
    range of a home's price."""
    number = parse_amount(value)
    if not MIN_PRICE <= number <= MAX_PRICE:  # 0, a typo
        raise FieldError(
            "price",
            f"{value!r} is outside {MIN_PRICE:,} to {MAX_PRICE:,} (a home's price in whole "
            "dollars: 1250000, S$1.25M or 850k)",
        )
    return number


def parse_amount(value: Any) -> int:
    """An amount of money in any form a price is written in (parse_price without its range:
    a search's price filter may be anything)."""
    if isinstance(value, bool):
        raise FieldError("price", "expected a number, got true/false")
    if isinstance(value, int):
        number = float(value)
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        match = _PRICE.match(value.strip())
        if not match:
            raise FieldError("price", f"{value!r} is not a price (e.g. 1250000, S$1.25M, 850k)")
        number = float(match.group(1).replace(",", "").replace("_", "").replace(" ", ""))
        suffix = (match.group(2) or "").lower()
        number *= 1_000 if suffix == "k" else 1_000_000 if suffix else 1
    else:
        raise FieldError("price", f"expected a number, got {type(value).__name__}")
    if number != number or abs(number) > 2**62:  # NaN, infinity, beyond any column
        raise FieldError("price", f"{value!r} is not an amount of money")
    return round(number)


def parse_bedrooms(value: Any) -> int | None:
    if _blank(value):
        return None
    if isinstance(value, str) and value.strip().lower() == "studio":
        return 0
    if isinstance(value, bool):
        raise FieldError("bedrooms", "expected a whole number, got true/false")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise FieldError("bedrooms", f"{value!r} is not a whole number") from None
    if not number.is_integer() or not 0 <= number <= 50:
        raise FieldError("bedrooms", f"{value!r} must be a whole number from 0 (studio) to 50")
    return int(number)


_AREA = re.compile(
    r"(?i)^\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(?:(sq\.?\s?ft\.?|sqft|square\s+feet|ft2|sf)"
    r"|(sq\.?\s?m\.?|sqm|square\s+met(?:re|er)s?|m2|m\u00b2))?\s*$"
)
SQFT_PER_SQM = 10.7639


def parse_floor_area(value: Any) -> int | None:
    """A floor area in whole square feet: 1001, "1,001 sqft", "93 sqm" (turned into sq ft)."""
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError("floor_area_sqft", "expected a number, got true/false")
    match = _AREA.match(str(value))
    if not match:
        raise FieldError("floor_area_sqft", f"{value!r} is not a floor area (e.g. 1001, 93 sqm)")
    number = float(match.group(1).replace(",", ""))
    sqft = number * SQFT_PER_SQM if match.group(3) else number
    if not 50 <= sqft <= 200_000:
        raise FieldError("floor_area_sqft", f"{value!r} is out of range (50 to 200,000 sq ft)")
    return round(sqft)


def parse_property_type(value: Any) -> str:
    text = _text("type", value)
    canonical = _TYPE_LOOKUP.get(re.sub(r"[\s\-_]+", " ", text.lower()))
    if canonical is None:
        raise FieldError("type", f"unknown type {text!r}; known: {', '.join(PROPERTY_TYPES)}")
    return canonical


def searched_types(value: Any) -> tuple[str, ...]:
    """The canonical types a search for `value` finds (SEARCHED_TYPES)."""
    canonical = parse_property_type(value)
    return SEARCHED_TYPES.get(canonical, (canonical,))


def parse_availability(value: Any) -> str:
    if _blank(value):
        return "available"
    text = str(value).strip().lower()
    if text not in AVAILABILITY:
        raise FieldError("availability", f"{value!r} must be one of {', '.join(AVAILABILITY)}")
    return text


def parse_selling_points(value: Any) -> tuple[str, ...]:
    if _blank(value):
        return ()
    if isinstance(value, str):
        items: list[Any] = [p for p in re.split(r"[;|\n]", value)]
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise FieldError("key_selling_points", "expected a list or text separated by ';'")
    points = []
    for item in items:
        if not isinstance(item, str | int | float) or isinstance(item, bool):
            raise FieldError("key_selling_points", "each point must be text")
        point = " ".join(str(item).split())
        if len(point) > MAX_POINT_LENGTH:
            raise FieldError("key_selling_points", f"a point is over {MAX_POINT_LENGTH} characters")
        if point:
            points.append(point)
    if len(points) > MAX_POINTS:
        raise FieldError("key_selling_points", f"more than {MAX_POINTS} points")
    return tuple(points)


def parse_listing(fields: Mapping[str, Any]) -> Listing:
    """Validate one row's canonical fields (see `canonical_fields`) into a `Listing`."""
    for name in REQUIRED:
        if _blank(fields.get(name)):
            raise FieldError("type" if name == "property_type" else name, "is required")
    ref = fields.get("external_ref")
    return Listing(
        external_ref=None if _blank(ref) else _text("external_ref", ref),
        title=_text("title", fields["title"]),
        location=_text("location", fields["location"]),
        price=parse_price(fields["price"]),
        property_type=parse_property_type(fields["property_type"]),
        bedrooms=parse_bedrooms(fields.get("bedrooms")),
        availability=parse_availability(fields.get("availability")),
        key_selling_points=parse_selling_points(fields.get("key_selling_points")),
        floor_area_sqft=parse_floor_area(fields.get("floor_area_sqft")),
    )
