"""Issue 12: under umask 000, `kith init --vault a/b/v` creates a/ and a/b/ 0700 (they were 0777),
the vault folder 0700 and its files 0600; folders that already existed are left as they were."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import PASSPHRASE, ROOT
from vault.api import Vault
from vault.backup import create as backup
from vault.core.private_dirs import make_private_dir


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_init_under_umask_000_makes_every_new_folder_private(tmp_path: Path) -> None:
    base = tmp_path / "base"
    base.mkdir(mode=0o755)
    os.chmod(base, 0o755)
    target = base / "a" / "b" / "v"
    secret = tmp_path / "passphrase"
    secret.write_text(PASSPHRASE + "\n")
    env = {**os.environ, "KITH_ALLOW_WEAK_KDF": "1"}
    common = ["--vault", str(target), "--passphrase-file", str(secret)]

    def run(*args: str) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [sys.executable, "-m", "tui", *common, *args],
            env=env, cwd=ROOT, capture_output=True, timeout=120, check=False,
            preexec_fn=lambda: os.umask(0),  # the point of the test
        )

    made = run("init", "--kdf-memory", "8", "--kdf-time", "1")
    assert made.returncode == 0, made.stderr
    added = run("add", "--name", "Ana Lima", "--note", "umask test")
    assert added.returncode == 0, added.stderr

    assert _mode(base) == 0o755  # not ours: unchanged
    for folder in (base / "a", base / "a" / "b", target):
        assert _mode(folder) == 0o700, folder
    files = sorted(target.iterdir())
    assert [p.name for p in files] == ["vault.db", "vault.hdr", "vault.hdr.bak"]
    for path in files:
        assert _mode(path) == 0o600, path


def test_existing_parents_are_left_alone_and_a_file_in_the_way_is_refused(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o775)
    assert make_private_dir(shared / "mine") == [shared / "mine"]
    assert _mode(shared) == 0o775 and _mode(shared / "mine") == 0o700
    assert make_private_dir(shared / "mine") == []
    (tmp_path / "file").write_text("x")
    try:
        make_private_dir(tmp_path / "file")
    except NotADirectoryError:
        pass
    else:
        raise AssertionError("a file where the folder should be was accepted")


def test_backup_out_folder_parents_are_private_under_umask_000(
    vault: Vault, tmp_path: Path
) -> None:
    out = tmp_path / "backups" / "nested"
    previous = os.umask(0)
    try:
        created = backup.create(vault, out, into_directory=True, passphrase="seven words")
    finally:
        os.umask(previous)
    assert _mode(tmp_path / "backups") == 0o700 and _mode(out) == 0o700
    assert created.path.parent == out
