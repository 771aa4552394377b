"""Delete with real erasure (issue 12, storage format 2) at N contacts.

    .venv/bin/python -m bench.bench_delete [--contacts 100000] [--deletes 20]

Reports, in one run:
- one ``contacts.delete`` in process (shred rows, re-key one bucket of the key tree, new root,
  header state written in place twice with fsync): median and max over ``--deletes`` deletes;
- ``kith delete ID --yes`` as a real process (Python start, unlock with the test KDF, delete),
  median and max of 5;
- the baseline: deleting one row by id from a plain SQLCipher table of the same N rows (same
  settings, one transaction, committed), measured the same way, and the ratio.
Target (issue 12 §3): ``kith delete`` well under 300 ms at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import synthetic_contacts, table, temp_vault, timed
from vault.core.store import Store

PROCESS_RUNS = 5


def plain_delete_seconds(n: int, deletes: int) -> list[float]:
    """Deleting one row by id from a plain SQLCipher table of ``n`` rows, ``deletes`` times."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "plain.db", os.urandom(32))
        store.execute("CREATE TABLE contacts (id BLOB PRIMARY KEY, name TEXT, note TEXT)")
        ids = [os.urandom(16) for _ in range(n)]
        with store.transaction():
            store.executemany(
                "INSERT INTO contacts VALUES (?, ?, ?)", [(i, "x" * 20, "y" * 60) for i in ids]
            )
        out = []
        for victim in ids[:deletes]:

            def one(victim: bytes = victim) -> None:
                with store.transaction():
                    store.execute("DELETE FROM contacts WHERE id = ?", (victim,))

            out.append(timed(one))
        store.close()
        return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--deletes", type=int, default=20)
    args = parser.parse_args()
    n, k = args.contacts, args.deletes
    drafts = synthetic_contacts(n)
    plain = plain_delete_seconds(n, k)
    with temp_vault() as vault:
        made: list[bytes] = []
        for i in range(0, n, 5000):
            made += vault.contacts.add_many(drafts[i : i + 5000])
        in_process = [timed(lambda r=r: vault.contacts.delete([r])) for r in made[:k]]
        vault_dir = vault.path
        victims = [r.hex() for r in made[k : k + PROCESS_RUNS]]
        vault.lock()
        secret = vault_dir.parent / "pw"
        secret.write_text("bench\n")  # bench.common.temp_vault's passphrase
        env = {**os.environ, "KITH_VAULT": str(vault_dir), "KITH_PASSPHRASE_FILE": str(secret)}
        processes = []
        for victim in victims:
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "tui", "delete", victim, "--yes"],
                env=env,
                capture_output=True,
                check=False,
            )
            processes.append(time.perf_counter() - start)
            assert done.returncode == 0, done.stderr
        process = statistics.median(processes)
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "tui", "info"], env=env, capture_output=True, check=False
        )
        unlock_only = time.perf_counter() - start
        assert done.returncode == 0, done.stderr
    med, med_plain = statistics.median(in_process), statistics.median(plain)
    print(f"# Delete with erasure, {n:,} contacts, {k} deletes (times in ms)")
    print(
        table(
            [
                ("plain SQLCipher delete, median", f"{med_plain * 1000:.1f} ms"),
                ("contacts.delete, median", f"{med * 1000:.1f} ms"),
                ("contacts.delete, max", f"{max(in_process) * 1000:.1f} ms"),
                ("ratio median / plain", f"{med / med_plain:.1f}x"),
                (
                    f"`kith delete` process, median of {len(processes)}",
                    f"{process * 1000:.0f} ms, max {max(processes) * 1000:.0f} ms"
                    "  (target < 300 ms)",
                ),
                ("`kith info` process (start + unlock)", f"{unlock_only * 1000:.0f} ms"),
            ]
        )
    )


if __name__ == "__main__":
    main()
