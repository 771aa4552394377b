"""Helpers shared by the benchmarks: synthetic invented contacts, timers, percentiles, tables.

Benchmarks report ratios against baselines measured in the same run on the same machine, never
absolute pass/fail thresholds: a slow CI machine slows both sides alike.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from vault import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.model import Address, ContactDraft, Email, Phone

GIVEN = [
    "Ana",
    "Bilal",
    "Chen",
    "Dara",
    "Élodie",
    "Femi",
    "Guo",
    "Hana",
    "Ilya",
    "Jonas",
    "Kofi",
    "Lucía",
    "Mei",
    "Nour",
    "Olek",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tomás",
    "Uma",
    "Vera",
    "Wanjiru",
    "Xavier",
    "Yara",
    "Zoë",
    "Андрей",
    "Μαρία",
    "محمد",
    "李娜",
]
FAMILY = [
    "Abebe",
    "Bauer",
    "Costa",
    "Dubois",
    "Eze",
    "Fischer",
    "García",
    "Haddad",
    "Ivanova",
    "Jensen",
    "Kim",
    "Lima",
    "Martin",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quispe",
    "Rossi",
    "Silva",
    "Tanaka",
    "Usman",
    "Varga",
    "Wong",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Öztürk",
]
CITIES = [
    "Lyon",
    "Nairobi",
    "Lagos",
    "Quito",
    "Berlin",
    "Saint-Étienne",
    "Kraków",
    "Osaka",
    "Porto",
    "Tunis",
    "Leeds",
    "Cali",
]
ORGS = ["Tenants Union", "Food Coop", "Rádio Livre", "Climate Camp", "Nurses Network", ""]
TAGS = ["volunteers", "press", "donors", "tenants", "climate", "officials", "youth", "leads"]


def synthetic_contacts(n: int, seed: int = 7) -> list[ContactDraft]:
    """``n`` invented, already-normalized contacts (deterministic for a seed)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        given, family = rng.choice(GIVEN), rng.choice(FAMILY)
        out.append(
            ContactDraft(
                name=f"{given} {family} {i}",
                given_name=given,
                family_name=family,
                emails=(Email(f"person{i}@example.org", "home"),),
                phones=(Phone(f"+3361{i:07d}", "mobile"),),
                addresses=(
                    Address(street=f"{i} rue Haute", locality=rng.choice(CITIES), country="FR"),
                ),
                org=rng.choice(ORGS),
                tags=tuple(rng.sample(TAGS, rng.randint(0, 2))),
            )
        )
    return out


@contextmanager
def temp_vault() -> Iterator[Vault]:
    """A cheap-KDF vault in a temporary folder, locked and removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        vault = Vault.create(Path(tmp) / "v", "bench", params=TEST_PARAMS, allow_weak=True)
        try:
            yield vault
        finally:
            vault.lock()


def timed(fn: Callable[[], object]) -> float:
    """Seconds one call takes."""
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def p95(samples: list[float]) -> float:
    """95th percentile."""
    return statistics.quantiles(samples, n=20)[18] if len(samples) >= 20 else max(samples)


def table(rows: list[tuple[str, str]]) -> str:
    """A two-column text table."""
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
