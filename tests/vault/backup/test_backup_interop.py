"""Kith backups against the stock ``age`` and ``tar`` tools, both ways (issue 4).

- Kith writes, age reads: ``age -d -i KEY`` decrypts a Kith backup, ``tar -t`` lists exactly the
  five members, and ``tar -x`` into a folder gives a vault that ``kith --vault DIR`` opens with
  the original passphrase: the restore path documented for a machine without Kith's restore.
- age writes, Kith reads: the members re-packed by GNU ``tar -c`` and encrypted by ``age -r``
  restore through ``kith backup restore``.
- Passphrases both ways through a pseudo-terminal (``age`` reads passphrases only from a
  terminal), reusing the pty driver of tests/vault/crypto/test_age_interop.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith, run_kith_process
from tests.vault.crypto.test_age_interop import AGE, needs_age, run_with_tty, write_key
from vault.api import Vault
from vault.backup import manifest as bm
from vault.crypto.age import generate_identity
from vault.domain.model import ContactDraft

pytestmark = [pytest.mark.interop, needs_age]
TAR = shutil.which("tar") or ""
needs_tar = pytest.mark.skipif(not TAR, reason="the stock `tar` is not installed")
NAMES = ["Hana Kim", "Ilya Petrov"]


@pytest.fixture
def filled(kith: Kith) -> Kith:
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        vault.contacts.add_many([ContactDraft(name=n) for n in NAMES])
    return kith


def names_in(vault_dir: Path, passphrase_file: Path) -> list[str]:
    listed = Kith(vault_dir, passphrase_file)("list", "--json")
    assert listed.exit_code == 0, listed.stderr
    return sorted(c["name"] for c in json.loads(listed.stdout))


def run(*args: str | Path, stdin: bytes | None = None, cwd: Path | None = None) -> bytes:
    done = subprocess.run(
        [str(a) for a in args], input=stdin, capture_output=True, check=False, timeout=60, cwd=cwd
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


@needs_tar
def test_age_and_tar_open_a_kith_backup(
    filled: Kith, tmp_path: Path, passphrase_file: Path
) -> None:
    identity, recipient = generate_identity()
    key = write_key(tmp_path, identity)
    made = filled("backup", "create", "--out", str(tmp_path / "backup.age"), "-r", recipient)
    assert made.exit_code == 0, made.stderr

    plain = run(AGE, "-d", "-i", key, tmp_path / "backup.age")
    listing = run(TAR, "-t", stdin=plain).decode().split()
    assert listing == list(bm.MEMBER_NAMES)

    # Without Kith's restore: age -d -i key.txt backup.age | tar -x -C DIR; kith --vault DIR list
    by_hand = tmp_path / "by-hand"
    by_hand.mkdir(mode=0o700)
    run(TAR, "-x", "-C", by_hand, stdin=plain)
    assert names_in(by_hand, passphrase_file) == NAMES


@needs_tar
def test_stock_tar_and_age_restore_through_kith(
    filled: Kith, tmp_path: Path, passphrase_file: Path
) -> None:
    identity, recipient = generate_identity()
    made = filled("backup", "create", "--out", str(tmp_path / "kith.age"), "-r", recipient)
    assert made.exit_code == 0, made.stderr
    members = tmp_path / "members"
    members.mkdir()
    run(
        TAR,
        "-x",
        "-C",
        members,
        stdin=run(AGE, "-d", "-i", write_key(tmp_path, identity), tmp_path / "kith.age"),
    )

    other_identity, other_recipient = generate_identity()
    repacked = run(TAR, "-c", "-f", "-", *bm.MEMBER_NAMES, cwd=members)  # GNU tar's own format
    (tmp_path / "stock.age").write_bytes(run(AGE, "-r", other_recipient, stdin=repacked))
    other_key = tmp_path / "other"
    other_key.mkdir()
    restored = filled(
        "backup",
        "restore",
        str(tmp_path / "stock.age"),
        "--to",
        str(tmp_path / "restored"),
        "-i",
        str(write_key(other_key, other_identity)),
    )
    assert restored.exit_code == 0, restored.stderr
    assert names_in(tmp_path / "restored", passphrase_file) == NAMES


@pytest.mark.slow
@needs_tar
def test_kith_passphrase_backup_opens_in_age_through_a_terminal(
    tmp_path: Path, passphrase_file: Path
) -> None:
    env = {"KITH_VAULT": str(tmp_path / "vault")}
    secret = (PASSPHRASE + "\n").encode()
    for args in (("init", "--kdf-memory", "8", "--kdf-time", "1"), ("add", "--name", NAMES[0])):
        assert (
            run_kith_process("--passphrase-file", "-", *args, env=env, input=secret).returncode == 0
        )
    made = run_kith_process(
        "--passphrase-file",
        "-",
        "backup",
        "create",
        "--out",
        str(tmp_path / "p.age"),
        "--passphrase",
        env=env,
        input=secret,
    )
    assert made.returncode == 0, made.stderr.decode()
    words = made.stderr.decode().split("cannot recover it):")[1].split("\n")[2].strip()
    assert words.encode() not in made.stdout

    code, stderr = run_with_tty(
        [AGE, "-d", "-o", str(tmp_path / "p.tar"), str(tmp_path / "p.age")],
        [(b"Enter passphrase", words.encode())],
    )
    assert code == 0, stderr
    assert run(TAR, "-t", "-f", tmp_path / "p.tar").decode().split() == list(bm.MEMBER_NAMES)


@pytest.mark.slow
@needs_tar
def test_age_passphrase_file_restores_through_kith(
    filled: Kith, tmp_path: Path, passphrase_file: Path
) -> None:
    identity, recipient = generate_identity()
    made = filled("backup", "create", "--out", str(tmp_path / "kith.age"), "-r", recipient)
    assert made.exit_code == 0, made.stderr
    (tmp_path / "state.tar").write_bytes(
        run(AGE, "-d", "-i", write_key(tmp_path, identity), tmp_path / "kith.age")
    )
    chosen = "seven words typed into age by a person"
    code, stderr = run_with_tty(
        [AGE, "-p", "-o", str(tmp_path / "age.age"), str(tmp_path / "state.tar")],
        [(b"Enter passphrase", chosen.encode()), (b"Confirm passphrase", chosen.encode())],
    )
    assert code == 0, stderr
    typed = tmp_path / "typed"
    typed.write_text(chosen + "\n")
    restored = filled(
        "backup",
        "restore",
        str(tmp_path / "age.age"),
        "--to",
        str(tmp_path / "restored"),
        "--backup-passphrase-file",
        str(typed),
    )
    assert restored.exit_code == 0, restored.stderr
    assert names_in(tmp_path / "restored", passphrase_file) == NAMES
