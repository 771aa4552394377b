"""Import benchmark (issue 3): 100,000 contacts from CSV and from vCard, and peak memory.

    .venv/bin/python -m bench.bench_import [--contacts 100000]

Reports, for the same N invented contacts (``bench.common.synthetic_contacts``):
- baseline: inserting them as plain text rows into SQLCipher in one transaction, measured in
  this run (``bench.bench_vault.plain_sqlcipher_seconds``);
- importing Kith's CSV and a vCard 4.0 file of them into a new vault (read, normalize emails and
  phones, dedupe, seal, index, one transaction), as a ratio to the baseline. Target <= 15x;
- importing the same CSV again into that vault (everything unchanged, nothing written);
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
from bench.common import synthetic_contacts, table
from vault.interchange import write_csv, write_vcard


def child(fmt_file: str, vault_dir: str, create: bool) -> None:
    """Run one import in this (fresh) process and print seconds and peak RSS as JSON."""
    from vault.api import Vault
    from vault.crypto.kdf import TEST_PARAMS
    from vault.importer import ImportOptions, import_contacts

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


def run_child(path: Path, vault_dir: Path, create: bool) -> dict:  # type: ignore[type-arg]
    done = subprocess.run(
        [sys.executable, "-m", "bench.bench_import", "--child", str(path), str(vault_dir),
         "create" if create else "open"],  # fmt: skip
        capture_output=True,
        check=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("FILE", "VAULT", "MODE"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2] == "create")
        return
    n = args.contacts
    drafts = synthetic_contacts(n)
    baseline = plain_sqlcipher_seconds(drafts)
    rows: list[tuple[str, str]] = [("plain SQLCipher insert", f"{baseline:.2f} s")]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "CSV": root / "contacts.csv",
            "vCard 4.0": root / "contacts.vcf",
        }
        files["CSV"].write_text("".join(write_csv(drafts)), encoding="utf-8", newline="")
        files["vCard 4.0"].write_text("".join(write_vcard(drafts)), encoding="utf-8", newline="")
        del drafts
        for label, path in files.items():
            vault_dir = root / f"vault-{path.suffix[1:]}"
            result = run_child(path, vault_dir, create=True)
            assert result["counts"]["added"] == n, result["counts"]
            size = path.stat().st_size / 2**20
            rows += [
                (f"{label} import ({size:.0f} MiB file)", f"{result['seconds']:.2f} s"),
                (f"ratio {label} / plain", f"{result['seconds'] / baseline:.1f}x  (target <= 15x)"),
                (f"peak RSS, {label} import", f"{result['peak_kib'] / 1024:.0f} MiB"
                 f"  (process start {result['start_kib'] / 1024:.0f} MiB)"),
            ]  # fmt: skip
        again = run_child(files["CSV"], root / "vault-csv", create=False)
        assert again["counts"]["unchanged"] == n, again["counts"]
        rows += [
            ("CSV re-import (all unchanged)", f"{again['seconds']:.2f} s"),
            ("peak RSS, CSV re-import", f"{again['peak_kib'] / 1024:.0f} MiB"),
        ]
    print(f"# Import, {n:,} contacts (cheap KDF; one process per import)")
    print(table(rows))


if __name__ == "__main__":
    main()
