"""The marker test for backups: contact text never reaches a backup, a temp folder or a restore.

Real ``kith`` processes store a contact whose every field holds a unique marker, make a recovery
key, back up with it and with a generated passphrase, verify and restore. Before the restored
vault is unlocked, no file in the backup folder, the restore target, the vault, the process's
TMPDIR or HOME holds any marker (UTF-8, UTF-16-LE or UTF-16-BE), and neither does the decrypted
tar payload itself: a backup is a second layer of encryption over the vault's own ciphertext.
Then the restored vault is unlocked and the markers are there, so the scan looked at real data.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_no_plaintext import MARKERS, marked_contact_args, needles, scan
from tests.conftest import PASSPHRASE, isolated_env, run_kith_process
from vault.backup import create as backup
from vault.crypto.age import decrypt_with_identities


@pytest.mark.slow
def test_no_marker_in_backups_temp_or_restore_before_unlock(tmp_path: Path) -> None:
    env, vault_dir, tmp, home = isolated_env(tmp_path)
    backups, restored, keys = tmp_path / "backups", tmp_path / "restored", tmp_path / "keys"
    keys.mkdir()
    secret = (PASSPHRASE + "\n").encode()

    def kith(*args: str, stdin: bytes = secret) -> tuple[str, str]:
        done = run_kith_process("--passphrase-file", "-", *args, env=env, input=stdin)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode(), done.stderr.decode()

    kith("init", "--kdf-memory", "8", "--kdf-time", "1", "--region", "FR")
    m = MARKERS
    kith(*marked_contact_args())
    key = keys / "recovery.txt"
    kith("recovery-key", "create", "--out", str(key))
    made, _ = kith("backup", "create", "--out", f"{backups}/", "--recovery-key")
    _, told = kith("backup", "create", "--out", str(backups / "words.age"), "--passphrase")
    words = told.split("cannot recover it):")[1].split("\n")[2].strip()
    kith("backup", "verify", made.strip(), "-i", str(key), "--check-signer")
    kith("backup", "restore", made.strip(), "--to", str(restored), "-i", str(key))
    (keys / "words").write_text(words + "\n")
    kith(
        "backup",
        "verify",
        str(backups / "words.age"),
        "--backup-passphrase-file",
        str(keys / "words"),
    )

    assert scan([backups, restored, vault_dir, tmp, home]) == []
    payload = decrypt_with_identities(
        Path(made.strip()).read_bytes(), backup.read_identity_file(key)
    )
    assert [n for n in needles() if n in payload] == []
    assert {p.name for p in vault_dir.iterdir()} == {"vault.db", "vault.hdr", "vault.hdr.bak"}
    assert list(tmp.iterdir()) == []

    env["KITH_VAULT"] = str(restored)  # now unlock the restored copy: the data is all there
    shown, _ = kith("list", "--json")
    assert m["name"] in shown and m["org"] in shown
