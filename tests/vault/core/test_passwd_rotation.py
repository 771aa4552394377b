"""Issue 12 §2: ``kith passwd`` rotates the vault key; a kill never leaves both passphrases working.

Through real processes. ``KITH_TEST_CRASH_AT`` (``vault/core/faults.py``) kills ``kith passwd`` with
SIGKILL at the two points between its header writes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, run_kith_process
from vault.core import header_v2
from vault.core.keyring import sqlcipher_key
from vault.core.store import Store
from vault.crypto import kdf
from vault.errors import IntegrityError

OLD = (PASSPHRASE + "\n").encode()
NEW_TEXT = "a different and new passphrase"


def _run(
    env: dict[str, str], secret: bytes, *args: str, crash: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    extra = {"KITH_TEST_CRASH_AT": crash} if crash else {}
    return run_kith_process("--passphrase-file", "-", *args, env={**env, **extra}, input=secret)


def _vault(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    env = {"KITH_VAULT": str(tmp_path / "vault")}
    assert _run(env, OLD, "init", "--kdf-memory", "8", "--kdf-time", "1").returncode == 0
    assert _run(env, OLD, "add", "--name", "Ana").returncode == 0
    new_file = tmp_path / "new-passphrase"
    new_file.write_text(NEW_TEXT + "\n")
    return env, tmp_path / "vault", new_file


NEW = (NEW_TEXT + "\n").encode()


def test_an_old_header_and_the_old_passphrase_open_nothing_current(tmp_path: Path) -> None:
    env, vault_dir, new_file = _vault(tmp_path)
    old_header = (vault_dir / "vault.hdr").read_bytes()
    done = _run(env, OLD, "passwd", "--new-passphrase-file", str(new_file))
    assert done.returncode == 0, done.stderr
    assert _run(env, OLD, "add", "--name", "Bea, added after").returncode == 3
    assert _run(env, NEW, "add", "--name", "Bea, added after").returncode == 0
    # The saved old header, put back as both copies, with the old passphrase:
    for name in ("vault.hdr", "vault.hdr.bak"):
        (vault_dir / name).write_bytes(old_header)
    refused = _run(env, OLD, "list")
    assert refused.returncode == 6  # the header does not belong to this database
    assert b"Ana" not in refused.stdout + refused.stderr
    # ...and directly: the old VMK does not key the current database.
    hdr = header_v2.parse(old_header)
    vmk = header_v2.unwrap(hdr, kdf.argon2id(PASSPHRASE.encode(), hdr.salt, hdr.params))
    with pytest.raises(IntegrityError):
        Store(vault_dir / "vault.db", sqlcipher_key(vmk, hdr.vault_id))


@pytest.mark.parametrize("first", ["old", "new"])
def test_killed_after_first_header_write_one_passphrase_wins(tmp_path: Path, first: str) -> None:
    env, vault_dir, new_file = _vault(tmp_path)
    killed = _run(
        env, OLD, "passwd", "--new-passphrase-file", str(new_file), crash="passwd-after-primary"
    )
    assert killed.returncode == -9
    assert (vault_dir / "vault.hdr").read_bytes() != (vault_dir / "vault.hdr.bak").read_bytes()
    winner, loser = (OLD, NEW) if first == "old" else (NEW, OLD)
    opened = _run(env, winner, "list", "--json")
    assert opened.returncode == 0, opened.stderr
    assert b"Ana" in opened.stdout
    assert opened.stderr.strip(), "the repair is said, not silent"
    assert _run(env, loser, "list").returncode == 3
    assert _run(env, winner, "list").returncode == 0
    assert (vault_dir / "vault.hdr").read_bytes() == (vault_dir / "vault.hdr.bak").read_bytes()
    assert sorted(p.name for p in vault_dir.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]


def test_killed_after_the_swap_only_the_new_passphrase_works(tmp_path: Path) -> None:
    env, vault_dir, new_file = _vault(tmp_path)
    killed = _run(
        env, OLD, "passwd", "--new-passphrase-file", str(new_file), crash="passwd-after-swap"
    )
    assert killed.returncode == -9
    copy = tmp_path / "copy"
    shutil.copytree(vault_dir, copy)
    assert _run(env, OLD, "list").returncode == 3
    repaired = _run(env, NEW, "list", "--json")
    assert repaired.returncode == 0 and b"Ana" in repaired.stdout
    assert b"differed" in repaired.stderr
    assert _run(env, OLD, "list").returncode == 3
    # In the copy, the old passphrase is tried first: it still opens nothing.
    assert _run({"KITH_VAULT": str(copy)}, OLD, "list").returncode == 3


def test_burn_overwrites_every_header_like_file(tmp_path: Path) -> None:
    env, vault_dir, _ = _vault(tmp_path)
    stray = vault_dir / ".vault.hdr.tmp"  # what format 1's rename-based write could leave
    stray.write_bytes((vault_dir / "vault.hdr").read_bytes())
    alias = tmp_path / "alias"


    os.link(stray, alias)
    assert run_kith_process("burn", "--yes", env=env).returncode == 0
    assert not vault_dir.exists()
    assert b"KITHVLT" not in alias.read_bytes()


def test_a_process_left_on_the_old_file_cannot_clobber_the_new_key(vault_dir: Path) -> None:
    """Another Kith process changed the passphrase: this one's writes are refused, and its
    header state (under the old vault key) is never written over the new header."""
    from vault.api import Vault
    from vault.domain.model import ContactDraft
    from vault.errors import VaultReplaced

    first = Vault.create(vault_dir, PASSPHRASE, params=kdf.TEST_PARAMS, allow_weak=True)
    first.contacts.add(ContactDraft(name="Ana"))
    second = Vault.open(vault_dir, PASSPHRASE)
    second.change_passphrase(PASSPHRASE, NEW_TEXT, allow_weak=True)
    second.lock()
    with pytest.raises(VaultReplaced):
        first.contacts.add(ContactDraft(name="Lost"))
    first.lock()
    with Vault.open(vault_dir, NEW_TEXT) as reopened:
        assert [c.name for c in reopened.contacts.all()] == ["Ana"]
