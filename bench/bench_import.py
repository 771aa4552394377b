"""Import benchmark (issue 3): 100,000 contacts from CSV and from vCard, and peak memory.

    .venv/bin/python -m bench.bench_import [--contacts 100000]

Reports, for the same N invented contacts (``bench.common.synthetic_contacts``):
- baseline: inserting them as plain text rows into SQLCipher in one transaction, measured in
  this run (``bench.bench_vault.plain_sqlcipher_seconds``);
- importing Kith's CSV and a vCard 4.0 file of them into a new vault (read, normalize emails and
  phones, dedupe, seal, index, one transaction), as a ratio to the baseline. Target <= 15x;
- importing the same CSV again into that vault (everything unchanged, nothing written);
- for context, storing the same (already normalized) contacts through the sealed record store
  alone in one transaction: the floor under any import, since every contact costs a record, a
  wrapped key and one sealed row per field;
- the peak RSS of each import, measured in a fresh child process (``ru_maxrss``), so it is the
  whole process a user would run, interpreter and libraries included. Target: a few hundred MB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_vault import plain_sqlcipher_seconds
from bench.common import synthetic_contacts, table, temp_vault
from vault.interchange import write_csv, write_vcard


def child_import(fmt_file: str, vault_dir: str, create: bool) -> None:
    """Run one import in this (fresh) process and print seconds and peak RSS as JSON."""
    from vault import Vault
    from vault.crypto.kdf import TEST_PARAMS
    from vault.interchange.importer import ImportOptions, import_contacts

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    if create:
        vault = Vault.create(Path(vault_dir), "bench", params=TEST_PARAMS, allow_weak=True)
    else:
        vault = Vault.open(Path(vault_dir), "bench")
    data = Path(fmt_file).read_bytes()
    began = time.perf_counter()
    outcome = import_contacts(vault, data, ImportOptions())
    seconds = time.perf_counter() - began
    vault.lock()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "peak_kib": peak, "start_kib": before,
                      "counts": outcome.counts()}))  # fmt: skip


def child_prepare(n: int, folder: str) -> None:
    """Write the CSV and vCard files of ``n`` invented contacts into ``folder``."""
    drafts = synthetic_contacts(n)
    root = Path(folder)
    (root / "contacts.csv").write_text("".join(write_csv(drafts)), encoding="utf-8", newline="")
    (root / "contacts.vcf").write_text("".join(write_vcard(drafts)), encoding="utf-8", newline="")


def child_baseline(n: int) -> None:
    """Print the plain SQLCipher insert time of the same ``n`` contacts."""
    print(json.dumps({"seconds": plain_sqlcipher_seconds(synthetic_contacts(n))}))


def child_sealed(n: int) -> None:
    """Print the time to store the same ``n`` (already normalized) contacts through the sealed
    record store alone, in one transaction: the floor under any import."""
    from vault.domain.contacts import RECORD_TYPE, encode

    drafts = synthetic_contacts(n)
    with temp_vault() as vault:
        began = time.perf_counter()
        with vault.live_store.transaction():
            for start in range(0, n, 5000):
                values = [encode(d) for d in drafts[start : start + 5000]]
                vault.records.create_many(RECORD_TYPE, values, vault.private_segment)
        print(json.dumps({"seconds": time.perf_counter() - began}))


def run_child(*args: str) -> dict:  # type: ignore[type-arg]
    """Run this module as a fresh process (the parent stays small, so the children's peak RSS,
    which Linux carries over from the parent at fork, is their own)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--child", *args],
        capture_output=True,
        check=True,
        text=True,
    )
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]) if lines else {}  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "prepare":
            child_prepare(int(rest[0]), rest[1])
        elif kind == "baseline":
            child_baseline(int(rest[0]))
        elif kind == "sealed":
            child_sealed(int(rest[0]))
        else:
            child_import(rest[0], rest[1], kind == "create")
        return
    n = args.contacts
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        run_child("prepare", str(n), tmp)
        first = run_child("baseline", str(n))["seconds"]
        sealed = run_child("sealed", str(n))["seconds"]
        results = {}
        for label, name in (("CSV", "contacts.csv"), ("vCard 4.0", "contacts.vcf")):
            results[label] = run_child("create", str(root / name), str(root / f"vault-{name}"))
            assert results[label]["counts"]["added"] == n, results[label]["counts"]
        again = run_child("open", str(root / "contacts.csv"), str(root / "vault-contacts.csv"))
        assert again["counts"]["unchanged"] == n, again["counts"]
        last = run_child("baseline", str(n))["seconds"]
        sizes = {k: (root / v).stat().st_size / 2**20
                 for k, v in (("CSV", "contacts.csv"), ("vCard 4.0", "contacts.vcf"))}  # fmt: skip
    baseline = (first + last) / 2
    rows: list[tuple[str, str]] = [
        ("plain SQLCipher insert", f"{baseline:.2f} s  (mean of {first:.2f} s before and "
                                   f"{last:.2f} s after the imports)"),
    ]  # fmt: skip
    rows.append(("sealed store alone (floor)", f"{sealed:.2f} s = {sealed / baseline:.1f}x"))
    for label, result in results.items():
        rows += [
            (f"{label} import ({sizes[label]:.0f} MiB file)", f"{result['seconds']:.2f} s"),
            (f"ratio {label} / plain", f"{result['seconds'] / baseline:.1f}x  (target <= 15x)"),
            (f"peak RSS, {label} import", f"{result['peak_kib'] / 1024:.0f} MiB"),
        ]
    rows += [
        ("CSV re-import (all unchanged)", f"{again['seconds']:.2f} s"),
        ("ratio re-import / plain", f"{again['seconds'] / baseline:.1f}x"),
        ("peak RSS, CSV re-import", f"{again['peak_kib'] / 1024:.0f} MiB"),
        ("parent RSS at fork (in each peak)", f"{results['CSV']['start_kib'] / 1024:.0f} MiB"),
    ]  # fmt: skip
    print(f"# Import, {n:,} contacts (cheap KDF; each import in a fresh process)")
    print(table(rows))


if __name__ == "__main__":
    main()
