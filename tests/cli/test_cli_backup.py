"""The command line for backup, through click's runner.

The vault-level tests are in tests/vault/backup/test_backup.py.
"""

from __future__ import annotations

import json
import os
import stat
import time
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.backup import create as backup
from vault.domain.model import ContactDraft, Email

STATE = {"vault.db", "vault.hdr", "vault.hdr.bak"}


@pytest.fixture
def key_file(tmp_path: Path, keypair: tuple[str, str]) -> Path:
    path = tmp_path / "key.txt"
    path.write_text(backup.identity_file_text(*keypair, 0))
    return path


def add_contacts(vault_dir: Path, names: list[str]) -> None:
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        vault.contacts.add_many(
            [ContactDraft(name=n, emails=(Email(f"{i}@example.org"),)) for i, n in enumerate(names)]
        )


def make_backup(kith: Kith, out: Path | str, recipient: str, *extra: str) -> Path:
    """``out`` as a str ending in "/" is a folder (numbered names)."""
    result = kith("backup", "create", "--out", str(out), "-r", recipient, *extra)
    assert result.exit_code == 0, result.stderr
    return Path(result.stdout.strip())


def restore(kith: Kith, path: Path, target: Path, key_file: Path) -> int:
    return kith("backup", "restore", str(path), "--to", str(target), "-i", str(key_file)).exit_code


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if "kith-restore" in p.name)


def test_round_trip_with_recipient(
    kith: Kith, tmp_path: Path, keypair: tuple[str, str], key_file: Path, passphrase_file: Path
) -> None:
    add_contacts(kith.vault_dir, ["Ana Lima", "Bilal Haddad", "Chen Wong"])
    result = kith("backup", "create", "--out", str(tmp_path / "b.age"), "-r", keypair[1], "--json")
    assert result.exit_code == 0, result.stderr
    made = json.loads(result.stdout)
    assert made["manifest"]["counts"]["contact"] == 3
    assert made["mode"] == "recipients"
    assert stat.S_IMODE((tmp_path / "b.age").stat().st_mode) == 0o600
    assert {p.name for p in kith.vault_dir.iterdir()} == STATE  # no snapshot left behind

    target = tmp_path / "restored"
    done = kith(
        "backup",
        "restore",
        str(tmp_path / "b.age"),
        "--to",
        str(target),
        "-i",
        str(key_file),
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    assert json.loads(done.stdout)["manifest"]["signer"] == made["manifest"]["signer"]
    assert {p.name for p in target.iterdir()} == STATE
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in target.iterdir())

    listed = Kith(target, passphrase_file)("list", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert sorted(c["name"] for c in json.loads(listed.stdout)) == [
        "Ana Lima",
        "Bilal Haddad",
        "Chen Wong",
    ]
    verified = kith("backup", "verify", str(tmp_path / "b.age"), "-i", str(key_file), "--json")
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True


@pytest.mark.slow
def test_round_trip_with_generated_passphrase(kith: Kith, tmp_path: Path) -> None:
    add_contacts(kith.vault_dir, ["Dara Eze"])
    result = kith("backup", "create", "--out", str(tmp_path / "p.age"), "--passphrase")
    assert result.exit_code == 0, result.stderr
    words = result.stderr.split("cannot recover it):")[1].split("\n")[2].strip()
    assert len(words.split(" ")) == 7
    assert words not in result.stdout  # the passphrase goes to the terminal, not to stdout

    wrong = tmp_path / "wrong"
    wrong.write_text(words + " extra\n")
    refused = kith(
        "backup",
        "restore",
        str(tmp_path / "p.age"),
        "--to",
        str(tmp_path / "t"),
        "--backup-passphrase-file",
        str(wrong),
    )
    assert refused.exit_code == 6
    assert not (tmp_path / "t").exists() and leftovers(tmp_path) == []

    right = tmp_path / "right"
    right.write_text(words + "\n")
    done = kith(
        "backup",
        "restore",
        str(tmp_path / "p.age"),
        "--to",
        str(tmp_path / "t"),
        "--backup-passphrase-file",
        str(right),
    )
    assert done.exit_code == 0, done.stderr
    with Vault.open(tmp_path / "t", PASSPHRASE) as restored:
        assert [c.name for c in restored.contacts.all()] == ["Dara Eze"]


def test_recovery_key(kith: Kith, tmp_path: Path) -> None:
    assert (
        kith("backup", "create", "--out", str(tmp_path / "x.age"), "--recovery-key").exit_code == 4
    )
    key = tmp_path / "recovery.txt"
    made = kith("recovery-key", "create", "--out", str(key))
    assert made.exit_code == 0, made.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert "AGE-SECRET-KEY-1" not in made.stdout + made.stderr
    shown = kith("recovery-key", "show").stdout.strip()
    assert f"# public key: {shown}" in key.read_text()
    assert kith("recovery-key", "create").exit_code == 1  # would orphan older backups
    path = make_backup(kith, f"{tmp_path}/backups/", shown)
    assert restore(kith, path, tmp_path / "r", key) == 0
    printed = kith("recovery-key", "create", "--replace")
    assert printed.exit_code == 0 and "AGE-SECRET-KEY-1" in printed.stdout
    assert kith("recovery-key", "show").stdout.strip() != shown


def test_restore_refuses_a_non_empty_target(
    kith: Kith, tmp_path: Path, keypair: tuple[str, str], key_file: Path
) -> None:
    path = make_backup(kith, tmp_path / "b.age", keypair[1])
    target = tmp_path / "target"
    target.mkdir()
    (target / "precious.txt").write_text("keep me")
    result = kith("backup", "restore", str(path), "--to", str(target), "-i", str(key_file))
    assert result.exit_code == 1
    assert "nothing was written" in result.stderr
    assert [p.name for p in target.iterdir()] == ["precious.txt"]
    (target / "precious.txt").unlink()
    assert restore(kith, path, target, key_file) == 0  # an empty folder is fine
    assert restore(kith, path, tmp_path / "missing" / "deeper", key_file) == 5
    assert leftovers(tmp_path) == []


def test_usage_errors(kith: Kith, tmp_path: Path, keypair: tuple[str, str]) -> None:
    out = str(tmp_path / "b.age")
    assert kith("backup", "create", "--out", out).exit_code == 2
    assert kith("backup", "create", "--out", out, "--passphrase", "-r", keypair[1]).exit_code == 2
    assert kith("backup", "create", "--out", out, "-r", keypair[1], "--keep", "2").exit_code == 2
    bad = kith("backup", "create", "--out", out, "-r", "age1nope")
    assert bad.exit_code == 5 and "age1nope" not in bad.stderr
    inside = kith("backup", "create", "--out", str(kith.vault_dir / "b.age"), "-r", keypair[1])
    assert inside.exit_code == 5
    make_backup(kith, tmp_path / "b.age", keypair[1])
    again = kith("backup", "create", "--out", out, "-r", keypair[1])
    assert again.exit_code == 1 and "never overwritten" in again.stderr
    no_key = kith("backup", "restore", out, "--to", str(tmp_path / "t"))
    assert no_key.exit_code == 5 and "--identity" in no_key.stderr
    junk = tmp_path / "junk.txt"
    junk.write_text("not a key\n")
    assert kith("backup", "verify", out, "-i", str(junk)).exit_code == 5
    assert {p.name for p in kith.vault_dir.iterdir()} == STATE


def test_disk_failures_leave_nothing_behind(
    kith: Kith,
    tmp_path: Path,
    keypair: tuple[str, str],
    key_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    missing = kith("backup", "create", "--out", str(tmp_path / "no" / "b.age"), "-r", keypair[1])
    assert missing.exit_code == 5
    path = make_backup(kith, tmp_path / "good.age", keypair[1])

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    folder = tmp_path / "out"
    folder.mkdir()
    monkeypatch.setattr("vault.backup.create._read_back", full_disk)
    failed = kith("backup", "create", "--out", f"{folder}/", "-r", keypair[1])
    assert failed.exit_code == 1 and failed.stderr == (
        "kith: Disk full: nothing was changed; free some space and try again.\n"
    )  # issue 14: one line, its own class (DiskFull), never the OS's words
    assert list(folder.iterdir()) == []
    assert {p.name for p in kith.vault_dir.iterdir()} == STATE
    monkeypatch.setattr("vault.backup.restore._checked", full_disk)
    assert restore(kith, path, tmp_path / "target", key_file) == 1
    assert not (tmp_path / "target").exists() and leftovers(tmp_path) == []


def test_rotation_keeps_the_newest(
    kith: Kith,
    tmp_path: Path,
    keypair: tuple[str, str],
    passphrase_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "backups"
    other = Kith(tmp_path / "other-vault", passphrase_file)
    assert other("init", "--kdf-memory", "8", "--kdf-time", "1").exit_code == 0
    theirs = make_backup(other, f"{folder}/", keypair[1])
    unrelated = folder / "kith-00000000-000009.age"
    unrelated.write_bytes(b"not ours")
    made = [make_backup(kith, f"{folder}/", keypair[1], "--keep", "2") for _ in range(4)]
    assert [p.name.rsplit("-", 1)[1] for p in made] == [
        "000001.age",
        "000002.age",
        "000003.age",
        "000004.age",
    ]
    assert all(backup.NAME.fullmatch(p.name) for p in made)  # no date in the name
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [theirs.name, unrelated.name, made[2].name, made[3].name]
    )


def test_list_newest_first(
    kith: Kith, tmp_path: Path, keypair: tuple[str, str], key_file: Path
) -> None:
    folder = tmp_path / "backups"
    made = [make_backup(kith, f"{folder}/", keypair[1]) for _ in range(3)]
    os.utime(made[0], (time.time() + 60, time.time() + 60))  # a stale mtime must not win
    (folder / "broken.age").write_bytes(b"garbage")
    os.utime(folder / "broken.age", (1_000_000, 1_000_000))  # no manifest: ordered by mtime
    listed = kith("backup", "list", str(folder), "-i", str(key_file), "--json")
    assert listed.exit_code == 0, listed.stderr
    items = json.loads(listed.stdout)
    ours = [i for i in items if i["manifest"]]
    assert [Path(i["path"]).name for i in ours] == [p.name for p in reversed(made)]
    assert all(i["manifest"]["counts"]["contact"] == 0 for i in ours)
    assert next(i for i in items if i["path"].endswith("broken.age"))["problem"]
    locked = json.loads(kith("backup", "list", str(folder), "--json").stdout)
    assert all(i["manifest"] is None for i in locked)
    human = kith("backup", "list", str(folder), "-i", str(key_file)).stdout.splitlines()
    assert human[0].startswith(made[2].name)


def test_blind_indexes_are_never_backed_up(
    kith: Kith, tmp_path: Path, keypair: tuple[str, str], key_file: Path
) -> None:
    """DESIGN §5: the dedupe index stays on the device; a restored vault rebuilds it on import."""
    source = tmp_path / "people.csv"
    source.write_text("Name,E-mail Address\nAna Lima,ana@example.org\nBob Stone,bob@example.org\n")
    assert kith("import", str(source)).exit_code == 0
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        assert vault.live_store.one("SELECT count(*) FROM blind_index") != (0,)
    made = make_backup(kith, tmp_path / "b.age", keypair[1])
    target = tmp_path / "restored"
    assert restore(kith, made, target, key_file) == 0
    with Vault.open(target, PASSPHRASE) as restored:
        assert restored.live_store.one("SELECT count(*) FROM blind_index") == (0,)
        assert restored.contacts.count() == 2
    again = Kith(target, kith.passphrase_file)("import", str(source), "--json")
    assert again.exit_code == 0, again.stderr
    counts = json.loads(again.stdout)["counts"]
    assert (counts["added"], counts["unchanged"]) == (0, 2)


def test_prune_overwrites_then_removes_only_this_vaults_older_backups(
    kith: Kith, tmp_path: Path, keypair: tuple[str, str]
) -> None:
    """Issue 12: backups made before a delete keep it; `kith backup prune` is how they go."""
    folder = tmp_path / "backups"
    made = [make_backup(kith, f"{folder}/", keypair[1]) for _ in range(3)]
    unrelated = folder / "kith-00000000-000001.age"
    unrelated.write_bytes(b"not ours")
    alias = tmp_path / "alias-of-oldest"
    os.link(made[0], alias)  # a second name for the oldest backup's inode
    before = alias.read_bytes()
    result = kith("backup", "prune", str(folder), "--keep", "1", "--json")
    assert result.exit_code == 0, result.stderr
    assert sorted(json.loads(result.stdout)["removed"]) == sorted(str(p) for p in made[:2])
    assert sorted(p.name for p in folder.iterdir()) == sorted([made[2].name, unrelated.name])
    after = alias.read_bytes()
    assert len(after) == len(before) and after != before and b"age-encryption" not in after
