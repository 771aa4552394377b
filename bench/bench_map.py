"""Supporter map benchmark (issue 17): placing and aggregating N contacts, offline.

    .venv/bin/python -m bench.bench_map [--contacts 10000]

Contacts live in 24 cities of 14 countries (one in ten by US ZIP code only, one in twenty with
no usable address). Measured: loading the packaged gazetteer (once per process), then
``geo.supporter_map.build`` at city level and at H3 resolutions 5 and 8, which open every
contact, place it, count cells and apply k-anonymity.

Baseline, measured side by side in the same run: opening every contact once
(``vault.contacts.all()``), the least any per-person map must pay.
"""

from __future__ import annotations

import argparse
import random

from bench.common import table, temp_vault, timed
from geo.cells import Grid
from geo.gazetteer import load
from geo.supporter_map import Map, build
from vault.domain.model import Address, ContactDraft

PLACES = [
    ("Lyon", "FR"), ("Marseille", "FR"), ("Lille", "FR"), ("Nantes", "France"),
    ("Lisboa", "PT"), ("Porto", "PT"), ("Berlin", "DE"), ("Leipzig", "Deutschland"),
    ("Leeds", "UK"), ("Glasgow", "GB"), ("Nairobi", "KE"), ("Lagos", "NG"), ("Accra", "GH"),
    ("Quito", "EC"), ("Bogotá", "CO"), ("Cali", "CO"), ("Osaka", "JP"), ("Sendai", "JP"),
    ("Kraków", "PL"), ("Tunis", "TN"), ("Chicago", "US"), ("Oakland", "US"),
    ("Montréal", "CA"), ("São Paulo", "BR"),
]
ZIPS = ["10001", "60601", "94612", "30303", "98101"]


def drafts(n: int) -> list[ContactDraft]:
    rng = random.Random(17)
    out = []
    for i in range(n):
        roll = rng.random()
        if roll < 0.05:
            address = Address(street=f"{i} Unknown Road")
        elif roll < 0.15:
            address = Address(postal_code=rng.choice(ZIPS), country="US")
        else:
            city, country = rng.choice(PLACES)
            address = Address(street=f"{i} Main Street", locality=city, country=country)
        out.append(ContactDraft(name=f"Person {i}", addresses=(address,)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=10_000)
    n = parser.parse_args().contacts
    with temp_vault() as vault:
        made = drafts(n)
        wanted: list[str] = []
        for i in range(0, n, 5000):
            wanted += [c.hex() for c in vault.contacts.add_many(made[i: i + 5000])]
        baseline = timed(lambda: sum(1 for _ in vault.contacts.all()))
        gazetteer = timed(load)
        results: dict[str, Map] = {}

        def run(grid: str) -> float:
            return timed(lambda: results.__setitem__(grid, build(
                vault, wanted, load(), Grid.parse(grid), 5)))

        times = {grid: run(grid) for grid in ("city", "h3:5", "h3:8")}
        placed = results["city"].placed
        rows = [("contacts", f"{n:,} ({placed:,} placed)"),
                ("baseline: open every contact once", f"{baseline:.2f} s"),
                ("load the gazetteer (once per process)", f"{gazetteer:.2f} s")]
        for grid, seconds in times.items():
            rows.append((f"build map, grid {grid} ({len(results[grid].aggregate.shown)} cells)",
                         f"{seconds:.2f} s ({seconds / baseline:.2f}x baseline)"))
        print(table(rows))


if __name__ == "__main__":
    main()
