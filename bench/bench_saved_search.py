"""Saved-search benchmark (issue 6): filter queries over contacts and their activity log.

    .venv/bin/python -m bench.bench_saved_search [--contacts 100000] [--interactions 500000]

Reports, at N contacts and M interactions (invented data, cheap KDF):
- naive per-query cost (the baseline): opening the four index fields of every interaction once,
  which is the least a query would pay without an in-memory index;
- build: the first evaluation after unlock (decrypts contacts, interaction index fields and
  preferences into the activity index);
- per query: p50 / p95 / max of later evaluations through ``vault.saved_searches.evaluate``
  (freshness check, set operations, name sort), and ``may_contact``. Target p95 under 200 ms.
- the ratio of the p95 to the naive per-query cost, measured side by side in this run.
"""

from __future__ import annotations

import argparse
import random
import statistics

from bench.common import p95, synthetic_contacts, table, temp_vault, timed
from vault.domain.interactions import make_draft
from vault.domain.preferences import PreferenceChange, Preferences, apply
from vault.domain.values import DAY, parse_moment

NOW = parse_moment("2026-07-01")
KIND_WEIGHTS = {
    "email-sent": 30, "email-received": 10, "call": 15, "sms": 15, "meeting": 5,
    "event-attended": 10, "petition-signed": 8, "donation": 4, "note": 3,
}
PETITIONS = ["Save the park", "Rent freeze now", "Clean air for schools", "Open the library"]


def interactions(contact_ids: list[bytes], m: int, seed: int = 11) -> list:  # type: ignore[type-arg]
    """``m`` invented interactions spread over two years before ``NOW``."""
    rng = random.Random(seed)
    kinds = list(KIND_WEIGHTS)
    weights = list(KIND_WEIGHTS.values())
    out = []
    for kind in rng.choices(kinds, weights, k=m):
        at = NOW - rng.randrange(730 * DAY)
        extra: dict[str, str] = {}
        if kind == "petition-signed":
            extra["campaign"] = rng.choice(PETITIONS)
        elif kind == "donation":
            extra.update(amount=str(rng.randint(1, 200)), currency="EUR")
        elif kind in ("call", "sms"):
            extra["direction"] = rng.choice(["in", "out", "out"])
        out.append((rng.choice(contact_ids), make_draft(kind, at, **extra)))
    return out


QUERIES = [
    "city:Lyon tag:volunteers -contacted:since:2026-06-01 attended:90d",
    'signed:"Save the park"',
    "attended:90d",
    "-contacted:since:2026-06-01",
    "logged:call:30d org:coop",
    "martin city:lyon",
    "allows:sms:events -has:dnc",
    'tag:donors donated:365d -signed:"Rent freeze now"',
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=500_000)
    parser.add_argument("--prefs", type=int, default=20_000, help="contacts with preferences")
    parser.add_argument("--runs", type=int, default=20, help="runs per query")
    args = parser.parse_args()
    n, m = args.contacts, args.interactions
    rng = random.Random(5)

    with temp_vault() as vault:
        contact_ids: list[bytes] = []
        drafts = synthetic_contacts(n)

        def load() -> None:
            for i in range(0, n, 5000):
                contact_ids.extend(vault.contacts.add_many(drafts[i : i + 5000]))

        load_contacts = timed(load)
        items = interactions(contact_ids, m)
        load_log = timed(lambda: [vault.interactions.log_many(items[i : i + 50_000])
                                  for i in range(0, m, 50_000)])
        chosen = rng.sample(contact_ids, min(args.prefs, n))
        prefs = [(c, apply(Preferences(c.hex()), PreferenceChange(
            allow=(rng.choice(["sms", "sms:events", "email", "email:news"]),),
            max_frequency=rng.choice(["none", "weekly", "monthly"]),
            do_not_contact=rng.random() < 0.05, consent_source="bench"), NOW)) for c in chosen]
        vault.preferences.add_many(prefs)

        naive = timed(lambda: sum(1 for _ in vault.interactions.index_facts()))
        searches = vault.saved_searches
        build = timed(lambda: searches.evaluate(QUERIES[0], now=NOW))
        rows: list[tuple[str, str]] = []
        every: list[float] = []
        for query in QUERIES:
            samples = [timed(lambda q=query: searches.evaluate(q, now=NOW))  # type: ignore[misc]
                       for _ in range(args.runs)]
            every += samples
            size = len(searches.evaluate(query, now=NOW))
            rows.append((query[:58], f"p50 {statistics.median(samples) * 1000:6.1f} ms  "
                                     f"p95 {p95(samples) * 1000:6.1f} ms  {size:>6} matches"))
        from datetime import UTC, datetime

        at = datetime.fromtimestamp(NOW, UTC)
        may = [timed(lambda: vault.preferences.may_contact("sms", "events", at=at))
               for _ in range(args.runs)]
        allowed = len(vault.preferences.may_contact("sms", "events", at=at))
        rows.append(("may_contact(sms, events)", f"p50 {statistics.median(may) * 1000:6.1f} ms  "
                                                 f"p95 {p95(may) * 1000:6.1f} ms  "
                                                 f"{allowed:>6} allowed"))

    overall = p95(every)
    print(f"# Saved searches, {n:,} contacts, {m:,} interactions, {len(prefs):,} with preferences")
    print(table([
        ("load contacts", f"{load_contacts:.1f} s"),
        ("load interactions", f"{load_log:.1f} s"),
        ("naive per query (open 4 fields x M)", f"{naive:.2f} s  (baseline)"),
        ("build activity index (first query)", f"{build:.2f} s"),
        *rows,
        ("p95 over all queries", f"{overall * 1000:.1f} ms  (target < 200 ms)"),
        ("p95 / naive per query", f"{overall / naive:.4f}  ({naive / overall:,.0f}x faster)"),
    ]))


if __name__ == "__main__":
    main()
