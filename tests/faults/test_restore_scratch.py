"""Item 4 of issue 14: a restore killed with -9 leaves a scratch folder; the next one removes it.

A real restore process is stopped inside its work (``paused_restore.py``) and killed with
SIGKILL, which runs no cleanup: its ``.<target>.kith-restore-*`` folder stays. The next restore
of the same target removes it before it starts, but never the folder of a restore that is
still running (it holds a lock on it; here a real process holds one).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, Kith
from vault.backup import create as backup
from vault.crypto.age import generate_identity


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".kith-restore-" in p.name)


def test_a_killed_restore_leaves_scratch_that_the_next_restore_removes(
    kith: Kith, tmp_path: Path
) -> None:
    secret, public = generate_identity()
    key_file = tmp_path / "key.txt"
    key_file.write_text(backup.identity_file_text(secret, public, 0))
    assert kith("add", "--name", "Ada", "--note", "n" * 5000).exit_code == 0
    made = kith("backup", "create", "--out", str(tmp_path / "b.age"), "-r", public)
    assert made.exit_code == 0, made.stderr
    place = tmp_path / "restores"
    place.mkdir()
    target = place / "vault"
    args = ["backup", "restore", str(tmp_path / "b.age"), "--to", str(target), "-i", str(key_file)]
    env = {**os.environ, "KITH_ALLOW_WEAK_KDF": "1", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, str(Path(__file__).with_name("paused_restore.py")), *args], cwd=ROOT,
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=60)
    [stale] = _leftovers(place)
    assert any((place / stale).iterdir())  # it really holds restored data
    # A live restore of the same target (a real process holding the lock) keeps its folder.
    live = place / ".vault.kith-restore-0123456789abcdef"
    live.mkdir(mode=0o700)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); sys.stdin.read()",
         str(live)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        done = kith(*args)
        assert done.exit_code == 0, done.stderr
        assert _leftovers(place) == [live.name]
    finally:
        holder.communicate(input=b"", timeout=60)
    assert (target / "vault.db").is_file()
