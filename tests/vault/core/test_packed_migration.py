"""Issue 12 (speed): a format-2 vault with one ``fields`` row per sealed field, made by the code
before the packed layout, is repacked in place (migration ``0011-packed-fields``) and reads the
same; killed before the repack commits, the old vault is intact and is repacked at the next run.

``golden/format2-fields`` (beside this file) was made by commit d575865 (see its README); the
expected outputs are what that code printed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import Kith, run_kith_process
from vault.api import Vault
from vault.core import header_v2, packed, schema
from vault.core.keyring import sqlcipher_key
from vault.core.repack import CRASH_POINT
from vault.core.store import Store
from vault.crypto import kdf

GOLDEN = Path(__file__).parent / "golden" / "format2-fields"
SECRET = "golden format two"
ADA, CHLOE = "f4983cd0cfa4", "85e450c98fbc"
COMMANDS = {
    "a": ("show", ADA, "--json"),
    "c": ("show", CHLOE, "--json"),
    "h": ("history", ADA, "--json"),
    "p": ("prefs", ADA, "--json"),
    "r": ("relations", ADA, "--json"),
    "e": ("event", "list", "--json"),
    "s": ("segment", "list", "--json"),
    "t": ("retain", ADA, "--json"),
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


def _raw_store(target: Path) -> Store:
    """The database opened with its key alone: no migration, no key tree, no commit guard."""
    hdr = header_v2.parse((target / "vault.hdr").read_bytes())
    vmk = header_v2.unwrap(hdr, kdf.argon2id(SECRET.encode(), hdr.salt, hdr.params))
    return Store(target / "vault.db", sqlcipher_key(vmk, hdr.vault_id))


def _old_rows(target: Path) -> dict[bytes, list[tuple[str, int]]]:
    """{record id: [(name, version)]} of the per-field rows, and proof the layout is the old one."""
    store = _raw_store(target)
    try:
        assert "0011-packed-fields" not in schema.applied(store)
        out: dict[bytes, list[tuple[str, int]]] = {}
        for rid, name, version in store.execute(
            "SELECT record_id, name, version FROM fields ORDER BY record_id, name"
        ):
            out.setdefault(bytes(rid), []).append((str(name), int(version)))
        return out
    finally:
        store.close()


def _assert_reads_the_same(kith: Kith) -> None:
    for key, command in COMMANDS.items():
        result = kith(*command)
        assert result.exit_code == 0, (command, result.stderr)
        expected = json.loads((GOLDEN / f"expected-{key}.json").read_text())
        assert json.loads(result.stdout) == expected, command
    saved = kith("saved", "list")
    assert saved.exit_code == 0 and "ada-search" in saved.stdout
    checked = kith("check")
    assert checked.exit_code == 0, checked.stderr  # every sealed value of every record opened


def test_a_per_field_vault_is_repacked_and_reads_the_same(golden: tuple[Path, Path]) -> None:
    target, secret = golden
    before = _old_rows(target)
    assert len(before) == 7 and sum(map(len, before.values())) >= 30  # every record type
    _assert_reads_the_same(Kith(target, secret))
    store = _raw_store(target)
    try:
        assert schema.applied(store)[-1] == "0011-packed-fields"
        tables = {r[0] for r in store.execute("SELECT name FROM sqlite_master")}
        assert "fields" not in tables and "fields_with_expiry" not in tables
        after = {
            bytes(rid): packed.versions_of(bytes(blob))
            for rid, blob in store.execute("SELECT id, packed FROM records")
        }
        # Every field of every record, under its name and version: nothing lost, none added.
        assert {rid: rows for rid, rows in after.items() if rows} == before
        layouts = {bytes(blob)[0] for (blob,) in store.execute("SELECT packed FROM records")}
        assert layouts == {packed.LAYOUT_VERBATIM}  # moved byte for byte, no key used
        marked = store.execute("SELECT record_id, name FROM indexed_fields")
        assert [(bytes(r[0]).hex()[:12], r[1]) for r in marked] == [(ADA, "expiry")]
    finally:
        store.close()
    with Vault.open(target, SECRET) as vault:
        ada = vault.contacts.resolve(ADA)
        assert vault.records.ids_with_field("contact", "expiry") == [ada]
        # A write seals the record again in layout 2; it still reads the same.
        vault.records.update(ada, {})
        blob = vault.live_store.one("SELECT packed FROM records WHERE id = ?", (ada,))
        assert blob is not None and bytes(blob[0])[0] == packed.LAYOUT_SEEDED
    result = Kith(target, secret)("show", ADA, "--json")
    shown = json.loads(result.stdout)
    expected = json.loads((GOLDEN / "expected-a.json").read_text())
    assert {k: v for k, v in shown.items() if k != "updated"} == {
        k: v for k, v in expected.items() if k != "updated"
    }


def test_a_repack_killed_before_it_commits_leaves_the_old_vault(
    golden: tuple[Path, Path],
) -> None:
    target, secret = golden
    before = _old_rows(target)
    env = {"KITH_VAULT": str(target), "KITH_PASSPHRASE_FILE": str(secret)}
    killed: subprocess.CompletedProcess[bytes] = run_kith_process(
        "list", env={**env, "KITH_TEST_CRASH_AT": CRASH_POINT}
    )
    assert killed.returncode == -9
    # Every row was written and the old table dropped before the kill: the rollback journal
    # brings the per-field layout back whole.
    assert _old_rows(target) == before
    _assert_reads_the_same(Kith(target, secret))
    store = _raw_store(target)
    try:
        assert schema.applied(store)[-1] == "0011-packed-fields"
    finally:
        store.close()
