"""Generate a realistic, reproducible listings file (Singapore areas, streets, prices).

python3 bench/generate_listings.py --listings 100000 --out tmp/listings-100k.csv
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

AREAS = [
    "Ang Mo Kio",
    "Bedok",
    "Bishan",
    "Boon Lay",
    "Bukit Batok",
    "Bukit Merah",
    "Bukit Panjang",
    "Bukit Timah",
    "Changi",
    "Choa Chu Kang",
    "Clementi",
    "Geylang",
    "Hougang",
    "Jurong East",
    "Jurong West",
    "Kallang",
    "Katong",
    "Marine Parade",
    "Novena",
    "Orchard",
    "Pasir Ris",
    "Paya Lebar",
    "Punggol",
    "Queenstown",
    "River Valley",
    "Sembawang",
    "Sengkang",
    "Serangoon",
    "Simei",
    "Tampines",
    "Tanjong Pagar",
    "Tanjong Rhu",
    "Telok Blangah",
    "Tiong Bahru",
    "Toa Payoh",
    "Upper Thomson",
    "Woodlands",
    "Yishun",
    "Holland Village",
    "Sentosa Cove",
    "Buona Vista",
    "Dover",
    "Farrer Park",
    "Lavender",
    "Redhill",
    "Tai Seng",
    "Ubi",
    "Kembangan",
    "Eunos",
    "Aljunied",
    "Braddell",
    "Lorong Chuan",
    "Mountbatten",
    "Siglap",
    "Yio Chu Kang",
]
STREETS = [
    "Street",
    "Avenue",
    "Road",
    "Drive",
    "Crescent",
    "Walk",
    "Lane",
    "Central",
    "Rise",
    "Close",
    "Way",
    "Link",
]
TYPES = [
    ("HDB", 0.45),
    ("condo", 0.3),
    ("executive condo", 0.08),
    ("apartment", 0.07),
    ("terrace", 0.04),
    ("semi-detached", 0.03),
    ("detached", 0.01),
    ("cluster house", 0.02),
]
BASE_PRICE = {
    "HDB": 550_000,
    "condo": 1_500_000,
    "executive condo": 1_250_000,
    "apartment": 1_300_000,
    "terrace": 3_800_000,
    "semi-detached": 5_500_000,
    "detached": 12_000_000,
    "cluster house": 3_200_000,
}
POINTS = [
    "Near MRT",
    "High floor",
    "Unblocked view",
    "Renovated",
    "Near schools",
    "Corner unit",
    "Pool view",
    "Freehold",
    "Quiet street",
    "Near park connector",
    "Walk to mall",
]


def location(rng: random.Random) -> str:
    area = rng.choice(AREAS)
    roll = rng.random()
    if roll < 0.15:
        return area
    street = rng.choice(STREETS)
    if roll < 0.35:
        return f"{area} {street}"
    return f"{area} {street} {rng.randint(1, 12)}"


def listing(rng: random.Random, n: int) -> dict[str, object]:
    kind = rng.choices([t for t, _ in TYPES], weights=[w for _, w in TYPES])[0]
    bedrooms = rng.randint(1, 5) if kind != "detached" else rng.randint(4, 8)
    price = int(BASE_PRICE[kind] * (0.6 + rng.random() * 0.9) * (0.8 + bedrooms * 0.1))
    where = location(rng)
    return {
        "ref": f"BENCH-{n:07d}",
        "title": f"{bedrooms}BR {kind} at {where}",
        "location": where,
        "price": price // 1000 * 1000,
        "type": kind,
        "bedrooms": bedrooms,
        "availability": rng.choices(["available", "pending", "sold"], weights=[8, 1, 1])[0],
        "key_selling_points": "; ".join(rng.sample(POINTS, 3)),
    }


def generate(count: int, seed: int = 42) -> list[dict[str, object]]:
    rng = random.Random(seed)
    return [listing(rng, n) for n in range(count)]


def write_csv(rows: list[dict[str, object]], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("tmp/bench-listings.csv"))
    args = parser.parse_args()
    path = write_csv(generate(args.listings, args.seed), args.out)
    print(f"wrote {args.listings} listings to {path}")


if __name__ == "__main__":
    main()
