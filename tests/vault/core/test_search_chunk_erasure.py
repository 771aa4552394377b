"""The persisted search index keeps erasure as strong as the records (issue 12 §1 and §3).

The attacker holds the passphrase, the current header and a copy of ``vault.db`` made before a
delete (as in ``test_erasure_attacks.py``). The deleted contact's search chunk in that copy must
not open under any key the vault still holds, and no current chunk may hold the contact. Each
test first shows that the same attack succeeds before the delete, so it cannot pass by accident.
Also here: a ``kith search`` killed while writing chunks back leaves the index correct.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from tests.conftest import PASSPHRASE, run_kith_process
from vault.api import Vault
from vault.core import header_v2
from vault.core.keyring import sqlcipher_key
from vault.core.keytree import BUCKETS, bucket_of
from vault.core.search_chunks import chunk_ad, chunk_key
from vault.core.store import Store
from vault.crypto import aead, kdf
from vault.errors import IntegrityError

SECRET = (PASSPHRASE + "\n").encode()
VICTIM = "Qmkchunkvictim5e2"


def _kith(
    env: dict[str, str], *args: str, crash: str | None = None
) -> subprocess.CompletedProcess[bytes]:
    extra = {"KITH_TEST_CRASH_AT": crash} if crash else {}
    return run_kith_process("--passphrase-file", "-", *args, env={**env, **extra}, input=SECRET)


def _vault(tmp_path: Path, names: list[str]) -> tuple[dict[str, str], Path, dict[str, str]]:
    env = {"KITH_VAULT": str(tmp_path / "vault")}
    assert _kith(env, "init", "--kdf-memory", "8", "--kdf-time", "1").returncode == 0
    ids = {}
    for name in names:
        done = _kith(env, "add", "--name", name, "--json")
        assert done.returncode == 0, done.stderr
        ids[name] = json.loads(done.stdout)["id"]
    return env, tmp_path / "vault", ids


def _old_chunk(db: Path, header_bytes: bytes, bucket: int) -> bytes:
    hdr = header_v2.parse(header_bytes)
    vmk = header_v2.unwrap(hdr, kdf.argon2id(PASSPHRASE.encode(), hdr.salt, hdr.params))
    store = Store(db, sqlcipher_key(vmk, hdr.vault_id))
    try:
        row = store.one("SELECT sealed FROM search_chunks WHERE bucket = ?", (bucket,))
    finally:
        store.close()
    assert row is not None and row[0] is not None, "the old copy must hold the chunk"
    return bytes(row[0])


def _opens(sealed: bytes, keys: list[bytes], vault_id: bytes, bucket: int) -> bytes | None:
    """The plaintext if any of ``keys`` opens ``sealed`` as the chunk of ``bucket`` or of the
    key's own bucket (the chunk key and the AD both bind the bucket number)."""
    for own, key in enumerate(keys):
        for as_bucket in {bucket, own}:
            try:
                return aead.open_sealed(
                    chunk_key(key, vault_id, as_bucket), sealed, chunk_ad(vault_id, as_bucket)
                )
            except IntegrityError:
                continue
    return None


def test_a_chunk_copied_before_a_delete_does_not_open_and_no_chunk_holds_the_contact(
    tmp_path: Path,
) -> None:
    env, vault_dir, ids = _vault(tmp_path, ["Ana", VICTIM])
    victim = bytes.fromhex(ids[VICTIM])
    bucket = bucket_of(victim)
    searched = _kith(env, "search", VICTIM[:8])  # writes every chunk back
    assert searched.returncode == 0 and VICTIM.encode() in searched.stdout
    old = tmp_path / "old.db"
    shutil.copy2(vault_dir / "vault.db", old)
    sealed = _old_chunk(old, (vault_dir / "vault.hdr").read_bytes(), bucket)
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        keys_then, vault_id = vault.records.tree.table(), vault.vault_id
    opened = _opens(sealed, [keys_then[bucket]], vault_id, bucket)
    assert opened is not None and VICTIM.encode() in opened  # the attack works before

    assert _kith(env, "delete", ids[VICTIM], "--yes").returncode == 0
    after = _kith(env, "search", VICTIM[:8])  # the current chunk is rebuilt and written
    assert after.returncode == 0 and VICTIM.encode() not in after.stdout
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        keys_now = vault.records.tree.table()
        chunks = vault.live_store.execute("SELECT bucket, sealed FROM search_chunks")
        current = [
            vault.search_entries().chunks.open(int(b), bytes(s)) for b, s in chunks if s is not None
        ]
    assert keys_now[bucket] != keys_then[bucket]
    assert _opens(sealed, keys_now, vault_id, bucket) is None  # shut under every current key
    assert len(current) == BUCKETS and not any(VICTIM.encode() in c for c in current)
    assert VICTIM.encode() not in (vault_dir / "vault.db").read_bytes()


def test_search_killed_while_writing_chunks_back_leaves_the_index_correct(tmp_path: Path) -> None:
    env, vault_dir, ids = _vault(tmp_path, ["Ana", "Bruno"])
    assert _kith(env, "search", "a").returncode == 0  # chunks written
    assert _kith(env, "edit", ids["Bruno"], "--name", "Brunhilde").returncode == 0
    killed = _kith(env, "search", "brun", crash="search-chunks-write")
    assert killed.returncode == -9  # SIGKILL inside the write-back transaction
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        stale = vault.live_store.execute("SELECT count(*) FROM search_chunks WHERE sealed IS NULL")
        assert stale[0][0] == 1  # the write-back was rolled back: still stale, not wrong
    found = _kith(env, "search", "brun")
    assert found.returncode == 0 and b"Brunhilde" in found.stdout and b"Bruno " not in found.stdout
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        stale = vault.live_store.execute("SELECT count(*) FROM search_chunks WHERE sealed IS NULL")
        assert stale[0][0] == 0
