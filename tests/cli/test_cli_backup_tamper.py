"""Tampered backups through the CLI (issue 4): every case exits 6 and leaves nothing behind.

Each case starts from a genuine backup of a one-contact vault and damages it: flipped bytes
sampled across the age header and payload, truncations, a backup for another key, a manifest
swapped in from another backup or edited, archives with extra, missing, reordered or linked
members, and a manifest re-signed by a forger's key. The rebuilt ones are made with the test
key (decrypt, change the tar, encrypt again to the same recipient), exactly what anyone who
knows a recipient's public key can do.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from pathlib import Path

import pytest

from tests.cli.test_cli_backup import add_contacts, key_file, leftovers, make_backup, restore
from tests.conftest import Kith
from vault.backup import manifest as bm
from vault.core.identity import DeviceIdentity
from vault.crypto.age import decrypt_with_identities, encrypt_to_recipients, generate_identity

__all__ = ["key_file"]  # a fixture shared with tests/cli/test_cli_backup.py


def tar_members(data: bytes) -> list[tuple[str, bytes]]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return [(m.name, archive.extractfile(m).read()) for m in archive.getmembers()]  # type: ignore[union-attr]


def build_tar(members: list[tuple[str, bytes]]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return out.getvalue()


def reencrypt(tmp_path: Path, name: str, tar: bytes, recipient: str) -> Path:
    path = tmp_path / name
    path.write_bytes(encrypt_to_recipients(tar, [recipient]))
    return path


@pytest.fixture
def small_backup(kith: Kith, tmp_path: Path, keypair: tuple[str, str]) -> Path:
    add_contacts(kith.vault_dir, ["Femi Okafor"])
    return make_backup(kith, tmp_path / "good.age", keypair[1])


def assert_refused(kith: Kith, path: Path, key_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    result = kith("backup", "restore", str(path), "--to", str(target), "-i", str(key_file))
    assert result.exit_code == 6, (path.name, result.stderr)
    assert not target.exists()
    assert leftovers(tmp_path) == []


def test_flipped_bytes_are_refused(
    kith: Kith, tmp_path: Path, small_backup: Path, key_file: Path
) -> None:
    data = small_backup.read_bytes()
    header_end = data.index(b"\n--- ") + 48
    positions = sorted(
        {*range(0, header_end, 7), *range(header_end, len(data), len(data) // 40), len(data) - 1}
    )
    damaged = tmp_path / "damaged.age"
    for position in positions:
        flipped = bytearray(data)
        flipped[position] ^= 0x04
        damaged.write_bytes(bytes(flipped))
        assert_refused(kith, damaged, key_file, tmp_path)


def test_truncated_or_extended_files_are_refused(
    kith: Kith, tmp_path: Path, small_backup: Path, key_file: Path
) -> None:
    data = small_backup.read_bytes()
    cut = tmp_path / "cut.age"
    for length in (0, 30, 200, len(data) // 2, len(data) - 17, len(data) - 1):
        cut.write_bytes(data[:length])
        assert_refused(kith, cut, key_file, tmp_path)
    cut.write_bytes(data + b"\x00")
    assert_refused(kith, cut, key_file, tmp_path)


def test_backup_for_another_recipient(kith: Kith, tmp_path: Path, key_file: Path) -> None:
    _, stranger = generate_identity()
    path = make_backup(kith, tmp_path / "theirs.age", stranger)
    result = kith("backup", "restore", str(path), "--to", str(tmp_path / "t"), "-i", str(key_file))
    assert result.exit_code == 6 and "No key" in result.stderr
    assert not (tmp_path / "t").exists()


def test_swapped_or_edited_manifest(
    kith: Kith, tmp_path: Path, small_backup: Path, keypair: tuple[str, str], key_file: Path
) -> None:
    identity, recipient = keypair
    mine = tar_members(decrypt_with_identities(small_backup.read_bytes(), [identity]))
    add_contacts(kith.vault_dir, ["Guo Xu"])
    newer = make_backup(kith, tmp_path / "newer.age", recipient)
    theirs = tar_members(decrypt_with_identities(newer.read_bytes(), [identity]))
    assert [n for n, _ in mine] == list(bm.MEMBER_NAMES)

    swapped = theirs[:2] + mine[2:]  # a valid, signed manifest of another backup
    assert_refused(
        kith, reencrypt(tmp_path, "swapped.age", build_tar(swapped), recipient), key_file, tmp_path
    )
    manifest = json.loads(mine[0][1])
    manifest["counts"]["contact"] = 99
    edited = [("manifest.json", json.dumps(manifest).encode()), *mine[1:]]
    assert_refused(
        kith, reencrypt(tmp_path, "edited.age", build_tar(edited), recipient), key_file, tmp_path
    )
    assert (
        restore(
            kith,
            reencrypt(tmp_path, "same.age", build_tar(mine), recipient),
            tmp_path / "ok",
            key_file,
        )
        == 0
    )  # the rebuild itself is sound


@pytest.mark.parametrize(
    "change",
    ["extra_member", "path_member", "symlink", "missing_db", "reordered", "long_header"],
)
def test_malformed_archives_are_refused(
    kith: Kith,
    tmp_path: Path,
    small_backup: Path,
    keypair: tuple[str, str],
    key_file: Path,
    change: str,
) -> None:
    identity, recipient = keypair
    members = tar_members(decrypt_with_identities(small_backup.read_bytes(), [identity]))
    if change == "extra_member":
        tar = build_tar([*members, ("notes.txt", b"x")])
    elif change == "path_member":
        tar = build_tar([*members[:4], ("../vault.db", members[4][1])])
    elif change == "missing_db":
        tar = build_tar(members[:4])
    elif change == "reordered":
        tar = build_tar([members[2], members[0], members[1], *members[3:]])
    elif change == "long_header":
        tar = build_tar([*members[:2], ("vault.hdr", members[2][1] + b"\0"), *members[3:]])
    else:
        out = io.BytesIO()
        with tarfile.open(fileobj=out, mode="w", format=tarfile.USTAR_FORMAT) as archive:
            for name, data in members[:4]:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
            link = tarfile.TarInfo("vault.db")
            link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(link)
        tar = out.getvalue()
    assert_refused(kith, reencrypt(tmp_path, f"{change}.age", tar, recipient), key_file, tmp_path)


def test_signature_proves_integrity_not_origin(
    kith: Kith, tmp_path: Path, small_backup: Path, keypair: tuple[str, str], key_file: Path
) -> None:
    """A backup re-signed by another key passes plain verify, and fails --check-signer."""
    identity, recipient = keypair
    members = tar_members(decrypt_with_identities(small_backup.read_bytes(), [identity]))
    forger = DeviceIdentity.from_seeds(os.urandom(32), os.urandom(32))
    manifest = bm.parse(members[0][1])
    forged = bm.Manifest(**{**manifest.__dict__, "signer": forger.signing_public.hex()})
    tar = build_tar(
        [
            ("manifest.json", forged.to_json()),
            ("manifest.sig", forger.sign(forged.signed_bytes())),
            *members[2:],
        ]
    )
    path = reencrypt(tmp_path, "forged.age", tar, recipient)
    assert kith("backup", "verify", str(path), "-i", str(key_file)).exit_code == 0
    checked = kith("backup", "verify", str(path), "-i", str(key_file), "--check-signer")
    assert checked.exit_code == 6, checked.stderr
    genuine = kith(
        "backup", "verify", str(small_backup), "-i", str(key_file), "--check-signer", "--json"
    )
    assert genuine.exit_code == 0, genuine.stderr
    assert json.loads(genuine.stdout)["signer_matches_vault"] is True
    assert json.loads(genuine.stdout)["contacts_opened"] == 1
