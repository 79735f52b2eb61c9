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
            f"{name}: " + ", ".join(_fact(row[0], row[j]) for row in body if j < len(row))
            for j, name in enumerate(header)
            if j > 0 and name
        ]
    if not all(_FIELD.match(label) for label in header[1:]):
        return lines  # no header: each row already names its listing beside its facts
    return [
        f"{row[0]}: "
        + ", ".join(_fact(label, cell) for label, cell in zip(header[1:], row[1:], strict=False))
        for row in body
        if row
    ]


def _fact(label: str, cell: str) -> str:
    """ "Beds", "3" -> "3 Beds"; "Price", "$1.3M" -> "Price $1.3M"."""
    return f"{cell} {label}" if _COUNT.match(cell) else f"{label} {cell}"
