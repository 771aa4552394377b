"""Unlock refusals (issue 12): a damaged header must cost what a wrong passphrase costs.

    .venv/bin/python -m bench.bench_unlock [--rounds 5] [--snapshot-mib 150]

On a vault whose header holds the parameters calibration starts from (``kdf.START``, 256 MiB,
3 passes), reports the median time of ``Vault.open`` refusing, over ``--rounds`` runs each,
interleaved in an order rotated every round, so machine noise and position hit every case
alike:
- a wrong passphrase (the baseline: one Argon2id run, then the AEAD fails);
- a damaged header whose parameters still read (one run with those parameters);
- a header whose parameters are out of range or unreadable (one run with the decoy parameters);
- for comparison, what the damaged header cost before (a strict parse that fails: no Argon2id).
Ratios to the baseline near 1.0 mean the time does not tell the cases apart.

It also times the sweep of one leftover backup snapshot of ``--snapshot-mib`` MiB at unlock
(overwrite with zeros, fsync, unlink), which an unlock pays only after a killed backup.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench.common import table, timed
from vault.api import Vault
from vault.core import header, leftovers
from vault.crypto import kdf
from vault.errors import CannotUnlock

PASSPHRASE = "correct horse battery staple"


def refused(folder: Path, passphrase: str) -> None:
    """One ``Vault.open`` that must fail with ``CannotUnlock``."""
    try:
        Vault.open(folder, passphrase).lock()
    except CannotUnlock:
        return
    raise AssertionError("the vault opened")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--snapshot-mib", type=int, default=150)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kith-bench-unlock-") as scratch:
        root = Path(scratch)
        good = root / "good"
        Vault.create(good, PASSPHRASE, params=kdf.START).lock()
        intact = (good / header.HEADER_NAME).read_bytes()
        damaged, far = bytearray(intact), bytearray(intact)
        damaged[0] ^= 0x01  # the magic: refused by the parse, parameters still readable
        far[11:15] = (64 * 1024 * 1024).to_bytes(4, "big")  # 64 GiB: out of range
        cases: dict[str, Path] = {}
        for name, data in (("damaged", bytes(damaged)), ("out of range", bytes(far))):
            folder = root / name.replace(" ", "-")
            folder.mkdir()
            for copy in (header.HEADER_NAME, header.BACKUP_NAME):
                (folder / copy).write_bytes(data)
            cases[name] = folder
        runs: dict[str, list[float]] = {k: [] for k in ("wrong", "damaged", "out of range", "old")}
        attempts: list[tuple[str, Callable[[], None]]] = [
            ("wrong", lambda: refused(good, "wrong horse")),
            ("damaged", lambda: refused(cases["damaged"], PASSPHRASE)),
            ("out of range", lambda: refused(cases["out of range"], PASSPHRASE)),
        ]
        for round_number in range(args.rounds):
            # Rotate the order every round, so no case always runs first (or right after another).
            shift = round_number % len(attempts)
            for name, attempt in attempts[shift:] + attempts[:shift]:
                runs[name].append(timed(attempt))

            def parse_only() -> None:
                with contextlib.suppress(CannotUnlock):
                    header.parse(bytes(damaged))

            runs["old"].append(timed(parse_only))
        median = {k: statistics.median(v) for k, v in runs.items()}
        base = median["wrong"]
        snapshot = good / f"{leftovers.SNAPSHOT_PREFIX}bench.db"
        with open(snapshot, "wb") as handle:
            for _ in range(args.snapshot_mib):
                handle.write(os.urandom(1024 * 1024))
        sweep = timed(lambda: leftovers.sweep(good))
        assert not snapshot.exists()
    print(f"params: {kdf.START.describe()}, {args.rounds} rounds each (median)")
    print(table([
        ("wrong passphrase (baseline)", f"{base * 1000:.0f} ms"),
        ("damaged header", f"{median['damaged'] * 1000:.0f} ms = "
                           f"{median['damaged'] / base:.2f}x"),
        ("out-of-range parameters (decoy run)", f"{median['out of range'] * 1000:.0f} ms = "
                                                f"{median['out of range'] / base:.2f}x"),
        ("damaged header before issue 12 (parse only)", f"{median['old'] * 1e6:.0f} us = "
                                                        f"{median['old'] / base:.5f}x"),
        (f"sweep of a {args.snapshot_mib} MiB leftover snapshot", f"{sweep * 1000:.0f} ms"),
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
