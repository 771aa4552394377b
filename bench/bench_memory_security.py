"""``PRAGMA cipher_memory_security`` ON vs OFF (issue 12 §3), side by side in one run.

    .venv/bin/python -m bench.bench_memory_security [--contacts 20000]

SQLCipher cannot turn the setting off again in a process once it was on, so each setting runs
in its own child process: a cheap-KDF vault, N contacts added in batches of 5,000 (the import
path), then every contact decrypted into the search index (the unlock path). Reports seconds
and the ratio ON / OFF. The decision and its trade-off are in docs/threat-model.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys


def child(setting: str, n: int) -> None:
    from bench.common import synthetic_contacts, temp_vault, timed
    from vault.core import store

    store.MEMORY_SECURITY = setting
    drafts = synthetic_contacts(n)
    with temp_vault() as vault:
        assert str(vault.live_store.pragma("cipher_memory_security")) in ("1", "0")
        insert = timed(
            lambda: [vault.contacts.add_many(drafts[i : i + 5000]) for i in range(0, n, 5000)]
        )
        index = timed(vault.search_index)
    print(json.dumps({"insert": insert, "index": index}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--child", choices=["ON", "OFF"])
    args = parser.parse_args()
    if args.child:
        child(args.child, args.contacts)
        return
    results = {}
    for setting in ("ON", "OFF"):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.bench_memory_security",
                "--child",
                setting,
                "--contacts",
                str(args.contacts),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        results[setting] = json.loads(out.stdout.strip().splitlines()[-1])
    on, off = results["ON"], results["OFF"]
    print(f"# cipher_memory_security, {args.contacts:,} contacts (seconds)")
    print(f"{'':<24}{'ON':>8}{'OFF':>8}{'ON/OFF':>8}")
    for key, label in (("insert", "add in batches"), ("index", "decrypt into index")):
        print(f"{label:<24}{on[key]:>8.2f}{off[key]:>8.2f}{on[key] / off[key]:>7.1f}x")


if __name__ == "__main__":
    main()
