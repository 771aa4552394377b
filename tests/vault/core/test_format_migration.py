"""Issue 12: a format-1 vault made by the format-1 code opens, is upgraded in place, reads the same.

``golden/format1`` (beside this file) was made by commit e74ce5e (see its README); the expected
outputs are what that code printed. The upgrade is also killed after its first header write.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Kith, run_kith_process
from vault.core import header, header_v2
from vault.core.keyring import sqlcipher_key
from vault.core.store import Store
from vault.crypto import kdf
from vault.errors import IntegrityError

GOLDEN = Path(__file__).parent / "golden" / "format1"
SECRET = "golden format one"
ADA, CHLOE = "40a5697edebc", "b78092574699"
COMMANDS = {
    "a": ("show", ADA, "--json"),
    "c": ("show", CHLOE, "--json"),
    "h": ("history", ADA, "--json"),
    "p": ("prefs", ADA, "--json"),
    "r": ("relations", ADA, "--json"),
    "e": ("event", "list", "--json"),
    "s": ("segment", "list", "--json"),
}


@pytest.fixture
def golden(tmp_path: Path) -> tuple[Path, Path]:
    target = tmp_path / "vault"
    target.mkdir(mode=0o700)
    for name in ("vault.hdr", "vault.hdr.bak", "vault.db"):
        shutil.copy2(GOLDEN / name, target / name)
    secret = tmp_path / "pw"
    secret.write_text(SECRET + "\n")
    return target, secret


def test_the_golden_vault_is_format_1(golden: tuple[Path, Path]) -> None:
    target, _ = golden
    assert header_v2.version_of((target / "vault.hdr").read_bytes()) == 1


def test_a_format_1_vault_upgrades_in_place_and_reads_every_record(
    golden: tuple[Path, Path],
) -> None:
    target, secret = golden
    old_db = target.parent / "format1.db"
    shutil.copy2(target / "vault.db", old_db)
    kith = Kith(target, secret)
    first = kith("show", ADA, "--json")
    assert first.exit_code == 0, first.stderr
    assert "upgraded to storage format 2" in first.stderr
    for key, command in COMMANDS.items():
        result = kith(*command)
        assert result.exit_code == 0, (command, result.stderr)
        expected = json.loads((GOLDEN / f"expected-{key}.json").read_text())
        assert json.loads(result.stdout) == expected, command
        assert result.stderr == ""  # upgraded once, said once
    saved = kith("saved", "list")
    assert saved.exit_code == 0 and "ada-search" in saved.stdout
    assert kith("check").exit_code == 0
    info = json.loads(kith("info", "--json").stdout)
    assert info["format_version"] == 2 and info["counts"]["contacts"] == 2
    for name in ("vault.hdr", "vault.hdr.bak"):
        assert header_v2.version_of((target / name).read_bytes()) == 2
    assert sorted(p.name for p in target.iterdir()) == ["vault.db", "vault.hdr", "vault.hdr.bak"]
    # The upgrade rotated the vault key: the format-1 file (and every remnant of it, such as
    # a journal or a deleted contact's old pages) does not open under the new header.
    hdr = header_v2.parse((target / "vault.hdr").read_bytes())
    vmk = header_v2.unwrap(hdr, kdf.argon2id(SECRET.encode(), hdr.salt, hdr.params))
    with pytest.raises(IntegrityError):
        Store(old_db, sqlcipher_key(vmk, hdr.vault_id))
    # A delete after the upgrade is real erasure (the same as for a new vault).
    assert kith("delete", CHLOE, "--yes").exit_code == 0
    assert kith("show", CHLOE).exit_code == 4


def test_an_upgrade_killed_after_its_first_header_write_completes_later(
    golden: tuple[Path, Path],
) -> None:
    target, secret = golden
    env = {"KITH_VAULT": str(target), "KITH_PASSPHRASE_FILE": str(secret)}
    killed: subprocess.CompletedProcess[bytes] = run_kith_process(
        "list", env={**env, "KITH_TEST_CRASH_AT": "upgrade-after-primary"}
    )
    assert killed.returncode == -9
    assert header_v2.version_of((target / header.HEADER_NAME).read_bytes()) == 2
    assert header_v2.version_of((target / header.BACKUP_NAME).read_bytes()) == 1
    done = run_kith_process("show", ADA, "--json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads((GOLDEN / "expected-a.json").read_text())
    assert header_v2.version_of((target / header.BACKUP_NAME).read_bytes()) == 2
    assert run_kith_process("check", env=env).returncode == 0
