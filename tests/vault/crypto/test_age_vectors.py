"""The public CCTV age vectors (C2SP/CCTV age/testdata) against Kith's backup reader.

A vector passes when the reader succeeds exactly for ``expect: success``, with the plaintext's
SHA-256 equal to ``payload:``, and raises a ``KithError`` (so returns no output) for every other
expectation: ``NoMatchingKey`` for ``no match``, another ``IntegrityError`` for header, HMAC and
payload failures. Skipped, each with its reason: armored vectors (backups are binary and the
reader refuses armor) and vectors that need a post-quantum identity (not implemented).

Below the vectors, a few headers built here pin the limits the spec leaves to the reader.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from vault.crypto.age import decrypt_with_identities, decrypt_with_passphrase
from vault.crypto.agefile import MAX_HEADER_BYTES, MAX_SCRYPT_LOG_N, MAX_STANZAS, parse_header
from vault.errors import IntegrityError, KithError, NoMatchingKey

VECTORS = Path(__file__).resolve().parents[2] / "vectors" / "cctv-age"
FILES = sorted(VECTORS.iterdir()) if VECTORS.is_dir() else []
PQ_IDENTITY_PREFIX = "AGE-SECRET-KEY-PQ-"

# What pyrage 1.4.0 alone accepts although the spec says MUST reject (vectors/README.md).
PYRAGE_ACCEPTS = ("scrypt_work_factor_23", "stanza_missing_body", "stanza_missing_final_line")


@dataclass
class Vector:
    expect: str
    data: bytes
    payload: str | None = None
    identities: list[str] = field(default_factory=list)
    passphrases: list[str] = field(default_factory=list)
    armored: bool = False


def load(path: Path) -> Vector:
    head, sep, data = path.read_bytes().partition(b"\n\n")
    assert sep, f"{path.name}: no blank line after the vector header"
    fields: dict[str, str] = {}
    vector = Vector(expect="", data=data)
    for line in head.decode("utf-8").splitlines():
        key, _, value = line.partition(": ")
        if key == "identity":
            vector.identities.append(value)
        elif key == "passphrase":
            vector.passphrases.append(value)
        else:
            fields[key] = value
    vector.expect = fields["expect"]
    vector.payload = fields.get("payload")
    vector.armored = fields.get("armored") == "yes"
    if fields.get("compressed") == "zlib":  # how the vector is stored, not part of the age file
        vector.data = zlib.decompress(data)
    return vector


def open_vector(vector: Vector) -> bytes:
    if vector.passphrases:
        return decrypt_with_passphrase(vector.data, vector.passphrases[0])
    identities = [i for i in vector.identities if not i.startswith(PQ_IDENTITY_PREFIX)]
    return decrypt_with_identities(vector.data, identities)


def test_vectors_are_there() -> None:
    assert len(FILES) == 143, f"expected the 143 CCTV age vectors in {VECTORS}"


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_cctv_vector(path: Path) -> None:
    vector = load(path)
    if vector.armored:
        pytest.skip("armored vector: Kith backups are binary and the reader refuses armor")
    if vector.identities and all(i.startswith(PQ_IDENTITY_PREFIX) for i in vector.identities):
        pytest.skip("needs a post-quantum mlkem768x25519 identity: not implemented by Kith")

    if vector.expect == "success":
        plaintext = open_vector(vector)
        assert hashlib.sha256(plaintext).hexdigest() == vector.payload
        return

    with pytest.raises(KithError) as caught:
        open_vector(vector)
    if vector.expect == "no match":
        assert isinstance(caught.value, NoMatchingKey)
    else:
        assert vector.expect in {"header failure", "HMAC failure", "payload failure"}
        assert isinstance(caught.value, IntegrityError)
        assert not isinstance(caught.value, NoMatchingKey)


@pytest.mark.parametrize("name", PYRAGE_ACCEPTS)
def test_strict_header_rejects_what_pyrage_accepts(name: str) -> None:
    with pytest.raises(IntegrityError):
        parse_header(load(VECTORS / name).data)


def test_armored_file_is_refused() -> None:
    with pytest.raises(IntegrityError, match="armored"):
        parse_header(load(VECTORS / "armor_x25519").data)


def test_header_end_is_the_payload_offset() -> None:
    data = load(VECTORS / "x25519").data
    header = parse_header(data)
    assert data[: header.header_end].endswith(b"\n")
    assert data[: header.header_end].splitlines()[-1].startswith(b"--- ")
    assert header.stanzas[0].type == "X25519"
    assert len(header.stanzas[0].body) == 32
    assert len(header.mac) == 32


# --- Headers built here: the limits Kith sets where the spec leaves them to the reader. ---


def b64(raw: bytes) -> bytes:
    return base64.b64encode(raw).rstrip(b"=")


MAC_LINE = b"--- " + b64(bytes(32)) + b"\n"
X25519_STANZA = b"-> X25519 " + b64(bytes(32)) + b"\n" + b64(bytes(32)) + b"\n"


def scrypt_stanza(log_n: int) -> bytes:
    return b"-> scrypt " + b64(bytes(16)) + b" %d\n" % log_n + b64(bytes(32)) + b"\n"


def scrypt_header(log_n: int) -> bytes:
    return b"age-encryption.org/v1\n" + scrypt_stanza(log_n) + MAC_LINE


def test_scrypt_work_factor_cap() -> None:
    assert parse_header(scrypt_header(MAX_SCRYPT_LOG_N)).scrypt_log_n == MAX_SCRYPT_LOG_N
    with pytest.raises(IntegrityError, match="cap"):
        parse_header(scrypt_header(MAX_SCRYPT_LOG_N + 1))


def test_header_size_and_stanza_caps() -> None:
    grease = b"-> grease " + b"x" * 4000 + b"\n\n"  # one arg line just under the line cap
    count = MAX_HEADER_BYTES // len(grease) + 1
    with pytest.raises(IntegrityError, match="longer than"):
        parse_header(b"age-encryption.org/v1\n" + grease * count + X25519_STANZA + MAC_LINE)
    with pytest.raises(IntegrityError, match="longer than"):
        parse_header(b"age-encryption.org/v1\n-> " + b"y" * 5000 + b"\n\n" + MAC_LINE)
    small = b"-> g\n\n"
    ok = b"age-encryption.org/v1\n" + small * (MAX_STANZAS - 1) + X25519_STANZA + MAC_LINE
    assert len(parse_header(ok).stanzas) == MAX_STANZAS
    with pytest.raises(IntegrityError, match="stanzas"):
        parse_header(b"age-encryption.org/v1\n" + small * MAX_STANZAS + X25519_STANZA + MAC_LINE)


V1 = b"age-encryption.org/v1\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        pytest.param(b"", "not an age file", id="empty"),
        pytest.param(V1, "truncated", id="version_only"),
        pytest.param(b"age-encryption.org/v2\n" + X25519_STANZA + MAC_LINE, "version", id="v2"),
        pytest.param(V1 + MAC_LINE, "no recipient stanza", id="no_stanza"),
        pytest.param(V1 + X25519_STANZA, "truncated", id="no_mac"),
        pytest.param(V1 + X25519_STANZA + MAC_LINE[:-1], "truncated", id="mac_no_lf"),
        pytest.param(
            V1 + X25519_STANZA + MAC_LINE.replace(b"A\n", b"A=\n"), "MAC line", id="mac_padding"
        ),
        pytest.param(
            V1 + b"-> X25519\n" + b64(bytes(32)) + b"\n" + MAC_LINE,
            "exactly one argument",
            id="x25519_no_share",
        ),
        pytest.param(
            V1 + b"-> X25519 " + b64(bytes(31)) + b"\n" + b64(bytes(32)) + b"\n" + MAC_LINE,
            "share is not 32 bytes",
            id="x25519_short_share",
        ),
        pytest.param(
            V1 + b"-> X25519 " + b64(bytes(32)) + b"\n" + b64(bytes(33)) + b"\n" + MAC_LINE,
            "body is not 32 bytes",
            id="x25519_long_body",
        ),
        pytest.param(
            V1 + scrypt_stanza(10) + X25519_STANZA + MAC_LINE, "only stanza", id="scrypt_not_alone"
        ),
        pytest.param(
            V1 + b"-> g\n" + b64(bytes(48)) + b"\n" + MAC_LINE, "short line", id="no_final_line"
        ),
    ],
)
def test_malformed_headers(data: bytes, reason: str) -> None:
    with pytest.raises(IntegrityError, match=reason):
        parse_header(data)
