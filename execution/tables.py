"""Tables in a message, rewritten as one line per listing, so that each fact sits beside the
name of the listing it is about.

A reply may compare listings in a table, listings as rows:

    | Listing | Price | Beds |
    | Jurong Gateway | $1.3M | 3 |

or listings as columns:

    |       | Jurong Gateway | Teban Gardens |
    | Price | $1.3M          | $380k         |

Read line by line, "$380k" would sit far from "Teban Gardens". Rewritten, both read
"Teban Gardens: Price $380k, 2 Beds".
"""

from __future__ import annotations

import re

_ROW = re.compile(r"^\s*\|?(?:[^|\n]*\|){1,}[^|\n]*$")
_RULE = re.compile(r"^[\s|:+=-]*$")  # | --- | :---: |
_FIELD = re.compile(
    r"(?i)^\W*(?:price|asking|cost|psf|beds?|bedrooms?|br|rooms?|baths?|size|area|sq|floor"
    r"|status|avail|type|tenure|lease|mrt|top|facing|unit|level|district|location)"
)
_COUNT = re.compile(r"^\d{1,2}(?:\+\d)?$")
_BARE_NUMBER = re.compile(
    r"(?i)^\d[\d,]*(?:\.\d+)?(?![\d,.]*\s*(?:k\b|m\b|mil|million|sq|ft|sf\b|psf|m²|m2\b|square))"
)
_UNIT = re.compile(r"(?i)^\W*(?:sq\.?\s?ft|sqft|sqm|sq\.?\s?m|size|area|floor\s+area|psf)\W*$")
_STATUS = re.compile(r"(?i)^\W*(?:status|avail\w*)\W*$")
_TOTAL = re.compile(r"(?i)^\W*(?:total|sum|combined|together|altogether)\b")


def tables_as_lines(text: str) -> str:
    """`text` with every table of two or more rows written as one line per listing."""
    if text.count("|") < 4:
        return text
    out: list[str] = []
    block: list[str] = []
    for line in text.split("\n"):
        if "|" in line and _RULE.match(line):
            continue  # the rule under a header: | --- | :---: |
        if "|" in line and _ROW.match(line):
            block.append(line)
            continue
        out += _rewritten(block)
        block = []
        out.append(line)
    out += _rewritten(block)
    return "\n".join(out)


def _cells(line: str) -> list[str]:
    cells = [c.strip() for c in line.strip().split("|")]
    if cells and cells[0] == "":
        cells = cells[1:]
    if cells and cells[-1] == "":
        cells = cells[:-1]
    return cells


def _rewritten(lines: list[str]) -> list[str]:
    block = [_cells(line) for line in lines]
    if len(block) < 2 or max(len(row) for row in block) < 2:
        return lines
    header, body = block[0], block[1:]
    if sum(bool(_FIELD.match(row[0])) for row in body if row) > len(body) / 2:
        # listings as columns: the first cell of each row names the field
        return [
            _row(name, [_fact(row[0], row[j]) for row in body if j < len(row)])
            for j, name in enumerate(header)
            if j > 0 and name
        ]
    if not all(_FIELD.match(label) for label in header[1:]):
        return lines  # no header: each row already names its listing beside its facts
    return [
        _row(row[0], [_fact(label, cell) for label, cell in zip(header[1:], row[1:], strict=False)])
        for row in body
        if row
    ]


def _row(name: str, facts: list[str]) -> str:
    """ "Jurong Gateway: Price $1.3M, 3 Beds"; a total row reads "Total Price about 2.04M"."""
    joined = ", ".join(facts)
    return f"{name} {joined}" if _TOTAL.match(name) else f"{name}: {joined}"


def _fact(label: str, cell: str) -> str:
    """ "Beds", "3" -> "3 Beds"; "sqft", "812" -> "812 sqft"; "Price", "$1.3M" -> "Price
    $1.3M"; "Status", "sold" -> "sold"."""
    if _STATUS.match(label):
        return cell
    if _COUNT.match(cell):
        return f"{cell} {label}"
    number = _BARE_NUMBER.match(cell)
    if number and _UNIT.match(label):  # "732 (sold)" -> "732 sqft (sold)"
        return f"{number.group(0)} {label}{cell[number.end() :]}"
    return f"{label} {cell}"
