"""The backup's inner format, piece by piece: device identity, manifest, strict tar reader.

The CLI tests (tests/vault/backup/test_backup.py) show that damage is refused end to end; these pin
each rule where it is implemented, with inputs no encoder of ours would produce.
"""

from __future__ import annotations

import io
import json
import os
import tarfile

import pytest

from vault.api import Vault
from vault.backup import manifest as bm
from vault.core.identity import DeviceIdentity, fingerprint, verify
from vault.errors import BadBackup, IntegrityError

SIGNER = DeviceIdentity.from_seeds(bytes(range(32)), bytes(range(32, 64)))


def manifest(**changes: object) -> bm.Manifest:
    base = bm.Manifest(
        vault_id="ab" * 16,
        created=1_700_000_000,
        app_version="0.1.0",
        counts=(("contact", 3), ("segments", 1)),
        members=(
            bm.Member("vault.hdr", 4096, "11" * 32),
            bm.Member("vault.hdr.bak", 4096, "11" * 32),
            bm.Member("vault.db", 8192, "22" * 32),
        ),
        signer=SIGNER.signing_public.hex(),
    )
    return bm.Manifest(**{**base.__dict__, **changes})  # type: ignore[arg-type]


# --- device identity ---


def test_identity_is_created_once_and_survives_reopening(vault: Vault) -> None:
    first = vault.identity
    assert vault.identity is first
    path = vault.path
    vault.lock()
    from tests.conftest import PASSPHRASE

    with Vault.open(path, PASSPHRASE) as again:
        assert again.identity == first
        assert again.identity.box_public == first.box_public
    assert "_signing_secret" not in repr(first) and "_box_secret" not in repr(first)


def test_identity_signs_and_opens_boxes() -> None:
    message = b"kith"
    signature = SIGNER.sign(message)
    verify(SIGNER.signing_public, message, signature)
    with pytest.raises(IntegrityError):
        verify(SIGNER.signing_public, message + b"!", signature)
    from vault.crypto.keys import box_seal

    assert SIGNER.open_box(box_seal(SIGNER.box_public, b"hello")) == b"hello"
    assert SIGNER.signing_public != SIGNER.box_public
    assert len(fingerprint(SIGNER.signing_public).split(" ")) == 8
    with pytest.raises(ValueError):
        DeviceIdentity.from_seeds(b"short", bytes(32))


# --- manifest ---


def test_manifest_round_trip_and_signature() -> None:
    made = manifest()
    assert bm.parse(made.to_json()) == made
    bm.verify_signature(made, SIGNER.sign(made.signed_bytes()))
    other = manifest(created=made.created + 1)
    with pytest.raises(BadBackup):
        bm.verify_signature(other, SIGNER.sign(made.signed_bytes()))


def test_signed_bytes_do_not_depend_on_json_spelling() -> None:
    made = manifest()
    respelled = json.dumps(json.loads(made.to_json()), separators=(",", ":"), sort_keys=True)
    assert bm.parse(respelled.encode()).signed_bytes() == made.signed_bytes()


def mutate(path: str, value: object) -> bytes:
    raw = json.loads(manifest().to_json())
    target = raw
    *parents, last = path.split(".")
    for key in parents:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return json.dumps(raw).encode()


DELETE = object()


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"not json", id="not_json"),
        pytest.param(b"[]", id="array"),
        pytest.param(mutate("extra", 1), id="extra_key"),
        pytest.param(mutate("signer", DELETE), id="missing_key"),
        pytest.param(mutate("format", "other"), id="format"),
        pytest.param(mutate("format_version", 2), id="version"),
        pytest.param(mutate("created", True), id="bool_as_int"),
        pytest.param(mutate("created", -1), id="negative"),
        pytest.param(mutate("created", 1.5), id="float"),
        pytest.param(mutate("vault_id", "AB" * 16), id="uppercase_hex"),
        pytest.param(mutate("signer", "00" * 31), id="short_key"),
        pytest.param(mutate("app_version", "0.1\n"), id="control_char"),
        pytest.param(mutate("counts.Contact", 1), id="count_name"),
        pytest.param(mutate("members.0.name", "vault.db"), id="member_order"),
        pytest.param(mutate("members.1.size", 4097), id="header_size"),
        pytest.param(mutate("members.2.extra", 1), id="member_extra"),
        pytest.param(
            manifest().to_json().replace(b'"created"', b'"created": 1, "created"', 1),
            id="duplicate_key",
        ),
        pytest.param(mutate("created", float("nan")), id="nan"),
    ],
)
def test_manifest_parse_is_strict(data: bytes) -> None:
    with pytest.raises(BadBackup):
        bm.parse(data)


# --- the tar reader ---


def archive(members: list[tuple[str, bytes]], **tweak: object) -> bytes:
    out = io.BytesIO()
    fmt = tweak.get("format", tarfile.USTAR_FORMAT)
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            if "pax" in tweak:
                info.pax_headers = {"comment": "x"}
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


GOOD = [
    ("manifest.json", b"{}"),
    ("manifest.sig", bytes(64)),
    ("vault.hdr", bytes(4096)),
    ("vault.hdr.bak", bytes(4096)),
    ("vault.db", os.urandom(5000)),
]


def read(data: bytes, step: int = 777, **kwargs: object) -> bm.Contents:
    db = io.BytesIO()
    reader = bm.TarReader(db, 1 << 20, **kwargs)  # type: ignore[arg-type]
    for start in range(0, len(data), step):
        reader.write(data[start : start + step])
    contents = reader.finish()
    assert db.getvalue() == GOOD[4][1]
    return contents


@pytest.mark.parametrize("step", [97, 511, 512, 513, 65536])
def test_reader_accepts_a_good_archive_in_any_pieces(step: int) -> None:
    contents = read(archive(GOOD), step)
    assert contents.small["manifest.json"] == b"{}"
    assert contents.sizes["vault.db"] == 5000
    assert set(contents.hashes) == set(bm.MEMBER_NAMES)


def test_writer_helpers_make_what_the_reader_reads() -> None:
    pieces = []
    for name, data in GOOD:
        pieces.append(bm.member_header(name, len(data), 0) + data + bm.padding(len(data)))
    body = b"".join(pieces)
    data = body + bm.end_of_archive(len(body))
    assert len(data) % bm.RECORD == 0
    read(data)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames() == list(bm.MEMBER_NAMES)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(archive(GOOD)[: -10240 - 512], id="no_end_marker"),
        pytest.param(archive(GOOD) + b"\x01", id="data_after_end"),
        pytest.param(archive(GOOD) + bytes(70_000), id="too_much_padding"),
        pytest.param(archive(GOOD, pax=True, format=tarfile.PAX_FORMAT), id="pax_header"),
        pytest.param(archive([*GOOD[:4], ("vault.db", b"")]), id="empty_db"),
        pytest.param(archive([*GOOD[:1], ("manifest.sig", bytes(65)), *GOOD[2:]]), id="sig_size"),
        pytest.param(archive([*GOOD, ("vault.db", b"x")]), id="duplicate"),
        pytest.param(archive([("manifest.json", bytes(70_000)), *GOOD[1:]]), id="huge_manifest"),
    ],
)
def test_reader_refuses(data: bytes) -> None:
    with pytest.raises(BadBackup):
        read(data)


def test_reader_refuses_nonzero_padding_and_bad_checksum() -> None:
    data = bytearray(archive(GOOD))
    data[512 + 2] = 0x41  # inside manifest.json's padding
    with pytest.raises(BadBackup, match="padding"):
        read(bytes(data))
    data = bytearray(archive(GOOD))
    data[0] ^= 0x01  # the first header's name: its checksum no longer matches
    with pytest.raises(BadBackup, match="malformed tar header"):
        read(bytes(data))


def test_reader_refuses_a_database_larger_than_the_backup() -> None:
    reader = bm.TarReader(None, 4999)
    with pytest.raises(BadBackup, match="impossible size"):
        reader.write(archive(GOOD))
    reader.write(b"more")  # after the first refusal, input is dropped
    with pytest.raises(BadBackup):
        reader.finish()


def test_reader_can_stop_after_the_manifest() -> None:
    reader = bm.TarReader(None, 1 << 20, stop_after_manifest=True)
    with pytest.raises(bm.ManifestComplete):
        reader.write(archive(GOOD))
    assert set(reader.contents.small) == {"manifest.json", "manifest.sig"}
