"""Vault core benchmark (issue 2): sealed inserts vs plain SQLCipher, and search as you type.

    .venv/bin/python -m bench.bench_vault [--contacts 100000]

Reports:
- sealed store: adding N contacts through the repository (one CDK per contact, one sealed value
  per non-empty field), as a ratio to inserting the same contacts as plain text rows into the
  same kind of SQLCipher database (same settings, one transaction) in the same run. Target 15x.
- unlock to index: decrypting all N contacts into the in-memory index.
- search as you type: p95 and max latency per keystroke while typing names, emails, cities and
  phone fragments, at N contacts. Target p95 under 50 ms at 100,000.
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
from pathlib import Path

from bench.common import p95, synthetic_contacts, table, temp_vault, timed
from vault.core.store import Store
from vault.domain.contacts import encode


def plain_sqlcipher_seconds(drafts: list) -> float:  # type: ignore[type-arg]
    """The baseline: the same contacts as plaintext columns in SQLCipher, one transaction."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "plain.db", os.urandom(32))
        store.execute(
            "CREATE TABLE contacts (id BLOB PRIMARY KEY, created INTEGER, name TEXT, "
            "given_name TEXT, family_name TEXT, emails TEXT, phones TEXT, addresses TEXT, "
            "org TEXT, tags TEXT)"
        )

        def insert() -> None:
            rows = []
            for draft in drafts:
                values = encode(draft)
                rows.append(
                    (
                        os.urandom(16),
                        0,
                        *(
                            values.get(k, b"").decode()
                            for k in (
                                "name",
                                "given_name",
                                "family_name",
                                "emails",
                                "phones",
                                "addresses",
                                "org",
                                "tags",
                            )
                        ),
                    )
                )
            with store.transaction():
                store.executemany("INSERT INTO contacts VALUES (?,?,?,?,?,?,?,?,?,?)", rows)

        seconds = timed(insert)
        store.close()
        return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    args = parser.parse_args()
    n = args.contacts
    drafts = synthetic_contacts(n)

    baseline = plain_sqlcipher_seconds(drafts)
    with temp_vault() as vault:
        sealed = timed(
            lambda: [vault.contacts.add_many(drafts[i : i + 5000]) for i in range(0, n, 5000)]
        )
        index_seconds = timed(vault.search_index)
        index = vault.search_index()
        rng = random.Random(3)
        words = []
        for draft in rng.sample(drafts, 40):
            words += [
                draft.family_name.lower(),
                draft.emails[0].value[:9],
                draft.addresses[0].locality.lower(),
                draft.phones[0].value[5:11],
            ]
        latencies: list[float] = []
        for word in words:
            for end in range(1, len(word) + 1):
                latencies.append(timed(lambda w=word[:end]: index.search(w)))
        db_mib = (vault.path / "vault.db").stat().st_size / 2**20

    print(f"# Vault core, {n:,} contacts (cheap KDF; times in seconds)")
    print(
        table(
            [
                ("plain SQLCipher insert", f"{baseline:.2f} s"),
                ("sealed store insert", f"{sealed:.2f} s"),
                ("ratio sealed / plain", f"{sealed / baseline:.1f}x  (target <= 15x)"),
                ("decrypt all into index", f"{index_seconds:.2f} s"),
                ("keystrokes measured", f"{len(latencies)}"),
                ("search p95 per keystroke", f"{p95(latencies) * 1000:.1f} ms  (target < 50 ms)"),
                ("search max per keystroke", f"{max(latencies) * 1000:.1f} ms"),
                ("database size", f"{db_mib:.1f} MiB"),
            ]
        )
    )


if __name__ == "__main__":
    main()
