"""Backup benchmark (issue 4): back up and restore a large vault; encryption vs stock ``age``.

    .venv/bin/python -m bench.bench_backup [--contacts 100000] [--rounds 3]

Reports, at N invented contacts (cheap vault KDF):
- backup create to an X25519 recipient (snapshot, hashes, tar, encrypt, fsync, header check)
  and with a generated passphrase (the same, plus two scrypt runs at log2 N = 18: one to write,
  one to read the file back);
- restore (strict header check, streaming decrypt, tar parse, signature, hashes, fsync, rename)
  and restore + first unlock of the restored vault;
- encryption throughput on the same bytes (the backup's own tar payload, from a file to a
  file), best of ``--rounds``, as a ratio to the stock ``age -r`` binary measured alternately
  in the same run: Kith's X25519 path (pyrage) and Kith's own passphrase STREAM writer (run at
  log2 N = 10 here so the ratio measures the payload, not scrypt). Target >= 0.8x.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import synthetic_contacts, table, temp_vault, timed
from vault import Vault
from vault.backup import create as backup
from vault.crypto import age


def best(fn: object, rounds: int) -> float:
    """The fastest of ``rounds`` runs (seconds)."""
    return min(timed(fn) for _ in range(rounds))  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    stock_age = shutil.which("age")
    identity, recipient = age.generate_identity()
    rows: list[tuple[str, str]] = []

    with temp_vault() as vault, tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        drafts = synthetic_contacts(args.contacts)

        def fill_vault() -> None:
            for i in range(0, len(drafts), 5000):
                vault.contacts.add_many(drafts[i : i + 5000])

        fill = timed(fill_vault)
        drafts.clear()
        db_mib = (vault.path / "vault.db").stat().st_size / 2**20
        rows.append(
            (
                "contacts / database",
                f"{args.contacts:,} / {db_mib:.1f} MiB (filled in {fill:.1f} s)",
            )
        )

        made: list[backup.Created] = []
        create_s = timed(
            lambda: made.append(backup.create(vault, tmp / "r.age", recipients=[recipient]))
        )
        rows.append(
            ("backup create, recipient", f"{create_s:.2f} s  ({made[0].size / 2**20:.1f} MiB file)")
        )
        phrase = "correct horse battery staple seven words here"
        create_p = timed(lambda: backup.create(vault, tmp / "p.age", passphrase=phrase))
        rows.append(("backup create, passphrase", f"{create_p:.2f} s  (incl. 2 x scrypt 2^18)"))

        restore_s = timed(
            lambda: backup.restore(tmp / "r.age", tmp / "restored", identities=[identity])
        )
        rows.append(("restore, recipient", f"{restore_s:.2f} s"))
        unlock_s = timed(lambda: Vault.open(tmp / "restored", "bench").lock())
        rows.append(("first unlock of the restore", f"{unlock_s:.2f} s"))
        restore_p = timed(
            lambda: backup.restore(tmp / "p.age", tmp / "restored-p", passphrase=phrase)
        )
        rows.append(("restore, passphrase", f"{restore_p:.2f} s  (incl. 1 x scrypt 2^18)"))

        payload = tmp / "payload.tar"  # the exact bytes the backup encrypted
        payload.write_bytes(age.decrypt_with_identities((tmp / "r.age").read_bytes(), [identity]))
        size_mib = payload.stat().st_size / 2**20
        out = tmp / "out.age"

        def kith_x25519() -> None:
            with open(payload, "rb") as src, open(out, "wb") as dst:
                age.encrypt_stream_to_recipients(src, dst, [recipient])

        def kith_passphrase() -> None:
            with open(payload, "rb") as src, open(out, "wb") as dst:
                age.encrypt_stream_with_passphrase(src, dst, phrase, log_n=10)

        def stock() -> None:
            subprocess.run(
                [stock_age or "age", "-r", recipient, "-o", str(out), str(payload)], check=True
            )

        kith_times: list[float] = []
        pass_times: list[float] = []
        age_times: list[float] = []
        for _ in range(args.rounds):  # alternate, so drift hits both sides alike
            kith_times.append(timed(kith_x25519))
            pass_times.append(timed(kith_passphrase))
            if stock_age:
                age_times.append(timed(stock))
            os.remove(out)
        k, p = min(kith_times), min(pass_times)
        rows.append(("payload encrypted", f"{size_mib:.1f} MiB, best of {args.rounds}"))
        rows.append(("Kith X25519 (pyrage)", f"{size_mib / k:.0f} MiB/s"))
        rows.append(("Kith passphrase STREAM", f"{size_mib / p:.0f} MiB/s"))
        if age_times:
            a = min(age_times)
            rows.append(("stock age -r", f"{size_mib / a:.0f} MiB/s"))
            rows.append(("ratio Kith X25519 / age", f"{a / k:.2f}x  (target >= 0.8x)"))
            rows.append(("ratio Kith passphrase / age", f"{a / p:.2f}x  (target >= 0.8x)"))
        else:
            rows.append(("stock age", "not installed: no ratio"))

    print(f"# Backup, {args.contacts:,} contacts (cheap vault KDF; {time.strftime('%Y-%m-%d')})")
    print(table(rows))


if __name__ == "__main__":
    main()
