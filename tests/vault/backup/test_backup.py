"""Backups through the CLI (issue 4): round trips, refusals, rotation, listing, snapshots.

Every vault here uses the cheap test KDF, and every backup but one is encrypted to an X25519
recipient (no scrypt): the one passphrase round trip costs about three scrypt runs at
log2 N = 18. Tampering is in tests/vault/backup/test_backup_tamper.py.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tests.conftest import PASSPHRASE
from vault.api import Vault
from vault.backup import create as backup
from vault.domain.model import ContactDraft

# --- consistency and progress ---


# Explicit busy timeout for this test: how long each connection waits for the other's lock.
# Generous on purpose (a loaded 2-core CI machine once tripped the 10 s default): only a real
# deadlock could reach it, and the test never waits on the clock otherwise.
BUSY_MS = 300_000


def test_snapshot_is_consistent_while_another_connection_writes(
    vault: Vault, tmp_path: Path, keypair: tuple[str, str]
) -> None:
    identity, recipient = keypair
    stop = threading.Event()
    wrote = threading.Event()  # set after each committed batch of the writer
    errors: list[BaseException] = []

    def writer() -> None:
        try:
            with Vault.open(vault.path, PASSPHRASE) as other:
                other.live_store.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
                n = 0
                while not stop.is_set():
                    other.contacts.add_many([ContactDraft(name=f"W{n}-{i}") for i in range(25)])
                    n += 1
                    wrote.set()
                    # SQLite's write lock is not fair: a writer that takes it again at once
                    # starves the others, and a format-2 commit holds it across two fsyncs.
                    # A short pause between transactions is what any real writer does.
                    stop.wait(0.02)
        except BaseException as error:  # surfaced below
            errors.append(error)
            wrote.set()

    vault.live_store.execute(f"PRAGMA busy_timeout = {BUSY_MS}")
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        made = []
        for i in range(3):
            wrote.clear()
            assert wrote.wait(BUSY_MS / 1000)  # the writer committed since the last backup
            made.append(backup.create(vault, tmp_path / f"b{i}.age", recipients=[recipient]))
    finally:
        stop.set()
        thread.join()
    assert errors == []
    counts = [dict(m.manifest.counts)["contact"] for m in made]
    assert counts == sorted(counts) and counts[-1] > 0
    for i, item in enumerate(made):
        target = tmp_path / f"r{i}"
        backup.restore(item.path, target, identities=[identity])
        with Vault.open(target, PASSPHRASE) as restored:
            assert restored.check() == dict(item.manifest.counts)["contact"]
            assert restored.contacts.count() % 25 == 0  # whole transactions only


def test_progress_is_reported(vault: Vault, tmp_path: Path, keypair: tuple[str, str]) -> None:
    seen: list[tuple[str, int, int]] = []
    made = backup.create(
        vault, tmp_path / "b.age", recipients=[keypair[1]], progress=lambda *a: seen.append(a)
    )
    stages = [s for s, _, _ in seen]
    assert stages[0] == "snapshot" and "encrypt" in stages
    last = [e for e in seen if e[0] == "encrypt"][-1]
    assert last[1] == last[2] > 0
    seen.clear()
    backup.restore(
        made.path, tmp_path / "r", identities=[keypair[0]], progress=lambda *a: seen.append(a)
    )
    assert seen and {s for s, _, _ in seen} == {"decrypt"}
    assert all(done <= total for _, done, total in seen)
