"""One ``kith search`` in a fresh process at N contacts: persisted chunks vs the full-decrypt build.

    .venv/bin/python -m bench.bench_search_start [--contacts 100000] [--runs 3]

Reports, in one run, on one vault (test KDF: 8 MiB, 1 pass, so the KDF is a few ms):
- ``kith search QUERY`` as a real process, first after the bulk add (every chunk stale: the
  full rebuild plus writing 1024 chunks back), then warm (median of ``--runs``), then after one
  ``kith add`` (one chunk stale);
- the baseline, the old design, in the same run: a fresh process that unlocks and builds the
  index by decrypting every contact (``SearchIndex.add_many(contacts.all())``), then searches;
- in process: loading the entries from the chunks vs decrypting every contact.
Target (issue 12 §3): < 0.5 s + KDF for the warm fresh-process search at 100,000 contacts.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.common import synthetic_contacts, table, temp_vault, timed
from vault.api import Vault
from vault.domain.search import SearchIndex

OLD_BUILD = """
import sys
from vault.api import Vault
from vault.domain.search import SearchIndex
vault = Vault.open(__import__("pathlib").Path(sys.argv[1]), "bench")
index = SearchIndex()
index.add_many(vault.contacts.all())
print(len(index.search(sys.argv[2])))
vault.lock()
"""


def process(args: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(args, env=env, capture_output=True, check=False)
    took = time.perf_counter() - start
    assert done.returncode == 0, done.stderr
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    n = args.contacts
    drafts = synthetic_contacts(n)
    query = drafts[n // 2].name  # one contact, as a person looking someone up
    with temp_vault() as vault:
        for i in range(0, n, 5000):
            vault.contacts.add_many(drafts[i : i + 5000])
        vault_dir: Path = vault.path
        vault.lock()
        secret = vault_dir.parent / "pw"
        secret.write_text("bench\n")  # bench.common.temp_vault's passphrase
        env = {**os.environ, "KITH_VAULT": str(vault_dir), "KITH_PASSPHRASE_FILE": str(secret)}
        kith = [sys.executable, "-m", "tui"]
        first = process([*kith, "search", query], env)
        warm = [process([*kith, "search", query], env) for _ in range(args.runs)]
        old = [
            process([sys.executable, "-c", OLD_BUILD, str(vault_dir), query], env)
            for _ in range(args.runs)
        ]
        process([*kith, "add", "--name", "Bench Extra"], env)
        one_stale = process([*kith, "search", query], env)
        version = statistics.median(process([*kith, "--version"], env) for _ in range(args.runs))
        with Vault.open(vault_dir, "bench") as opened:
            loader = opened.search_entries()
            chunks = timed(lambda: [len(b) for b in loader.batches()])
            full = timed(lambda: SearchIndex().add_many(opened.contacts.all()))
    med, med_old = statistics.median(warm), statistics.median(old)
    print(f"# `kith search` in a fresh process, {n:,} contacts (test KDF), median of {args.runs}")
    print(
        table(
            [
                ("old design: fresh process, decrypt every contact", f"{med_old:.2f} s"),
                ("`kith search`, warm chunks", f"{med:.2f} s  ({med_old / med:.1f}x faster)"),
                ("`kith search`, first after the bulk add", f"{first:.2f} s (writes 1024 chunks)"),
                ("`kith search` after one `kith add`", f"{one_stale:.2f} s (one chunk rebuilt)"),
                ("`kith --version` (Python + imports)", f"{version:.2f} s"),
                ("in process: entries from chunks", f"{chunks:.2f} s"),
                ("in process: decrypt every contact", f"{full:.2f} s"),
            ]
        )
    )


if __name__ == "__main__":
    main()
