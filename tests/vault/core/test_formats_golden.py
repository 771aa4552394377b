"""Golden vectors that pin Kith's own formats, checked against an independent implementation.

If one of these changes, every existing vault stops opening: a format change needs a new
version number and a migration, never an edit here.
"""

from __future__ import annotations

import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from hypothesis import given, settings
from hypothesis import strategies as st

from vault.core import header
from vault.core.records import cdk_ad, field_ad
from vault.crypto import aead, kdf
from vault.encoding import decode, enc
from vault.errors import CannotUnlock, IntegrityError

KEY = bytes(range(32))
NONCE = bytes(range(100, 124))
HOME = b"\x11" * 16
RECORD = b"\x22" * 16

GOLDEN_ENC = "030000000c6b6974682f6669656c642f31000000026162000000080000000000000007"
GOLDEN_FIELD_AD = (
    "050000000c6b6974682f6669656c642f310000001011111111111111111111111111111111000000102222"
    "2222222222222222222222222222000000046e616d65000000080000000000000001"
)
GOLDEN_SEALED = (
    "016465666768696a6b6c6d6e6f707172737475767778797a7b261c3a1b7f2e898287309d3fa66fbdc95bbb"
    "5271e42ccab08c5564a72b5e7810da6515b2e4c2179fc4a636cdcfcf6764"
)
GOLDEN_HEADER_PREFIX = (
    "4b495448564c5400000101000020000000000100000001555555555555555555555555555555554444444444"
    "4444444444444444444444016666666666666666666666666666666666666666666666669d999013fe45ec92"
    "3df3b66e47e18bbfaa89ff99059636b964b022effe5a7afa5a04309d29768c0dbdfb9f673237a9e3"
)


def _rotl(v: int, n: int) -> int:
    return ((v << n) & 0xFFFFFFFF) | (v >> (32 - n))


def hchacha20(key: bytes, nonce16: bytes) -> bytes:
    """HChaCha20 (draft-irtf-cfrg-xchacha §2.2), written independently of libsodium."""
    state = [0x61707865, 0x3320646E, 0x79622D32, 0x6B206574]
    state += list(struct.unpack("<8I", key)) + list(struct.unpack("<4I", nonce16))

    def quarter(a: int, b: int, c: int, d: int) -> None:
        state[a] = (state[a] + state[b]) & 0xFFFFFFFF
        state[d] = _rotl(state[d] ^ state[a], 16)
        state[c] = (state[c] + state[d]) & 0xFFFFFFFF
        state[b] = _rotl(state[b] ^ state[c], 12)
        state[a] = (state[a] + state[b]) & 0xFFFFFFFF
        state[d] = _rotl(state[d] ^ state[a], 8)
        state[c] = (state[c] + state[d]) & 0xFFFFFFFF
        state[b] = _rotl(state[b] ^ state[c], 7)

    for _ in range(10):
        quarter(0, 4, 8, 12), quarter(1, 5, 9, 13), quarter(2, 6, 10, 14), quarter(3, 7, 11, 15)
        quarter(0, 5, 10, 15), quarter(1, 6, 11, 12), quarter(2, 7, 8, 13), quarter(3, 4, 9, 14)
    return struct.pack("<8I", *(state[0:4] + state[12:16]))


def xchacha_reference(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """XChaCha20-Poly1305 from HChaCha20 + pyca's IETF ChaCha20-Poly1305."""
    subkey = hchacha20(key, nonce[:16])
    return ChaCha20Poly1305(subkey).encrypt(b"\x00" * 4 + nonce[16:], plaintext, ad)


def test_encoding_is_pinned_and_unambiguous() -> None:
    assert enc("kith/field/1", b"ab", 7).hex() == GOLDEN_ENC
    assert enc("ab", "c") != enc("a", "bc")
    assert enc(b"") != enc()
    with pytest.raises(TypeError):
        enc(True)


def test_field_ad_is_pinned() -> None:
    assert field_ad(HOME, RECORD, "name", 1).hex() == GOLDEN_FIELD_AD


def test_sealed_field_is_pinned_and_matches_an_independent_xchacha() -> None:
    ad = field_ad(HOME, RECORD, "name", 1)
    sealed = aead.seal(KEY, "Zoë".encode(), ad, nonce=NONCE)
    assert sealed.hex() == GOLDEN_SEALED
    padded = aead.pad("Zoë".encode())
    assert len(padded) == 32
    assert sealed[0] == 1 and sealed[1:25] == NONCE
    assert sealed[25:] == xchacha_reference(KEY, NONCE, padded, b"\x01" + ad)
    assert aead.open_sealed(KEY, sealed, ad) == "Zoë".encode()


def test_padding_hides_length_within_a_bucket() -> None:
    assert len(aead.pad(b"")) == 32
    assert len(aead.pad(b"x" * 31)) == 32
    assert len(aead.pad(b"x" * 32)) == 64
    for n in range(70):
        assert aead.unpad(aead.pad(b"y" * n)) == b"y" * n


def test_every_flipped_byte_of_a_sealed_field_fails() -> None:
    ad = field_ad(HOME, RECORD, "name", 1)
    sealed = bytearray(bytes.fromhex(GOLDEN_SEALED))
    for i in range(len(sealed)):
        sealed[i] ^= 0x01
        with pytest.raises(IntegrityError):
            aead.open_sealed(KEY, bytes(sealed), ad)
        sealed[i] ^= 0x01
    for cut in range(len(sealed)):
        with pytest.raises(IntegrityError):
            aead.open_sealed(KEY, bytes(sealed[:cut]), ad)


@pytest.mark.parametrize(
    "swapped",
    [
        field_ad(b"\x12" * 16, RECORD, "name", 1),  # another segment
        field_ad(HOME, b"\x23" * 16, "name", 1),  # another record
        field_ad(HOME, RECORD, "org", 1),  # another field
        field_ad(HOME, RECORD, "name", 2),  # another version
        enc("kith/field/2", HOME, RECORD, "name", 1),  # another format label
    ],
    ids=["segment", "record", "field", "version", "label"],
)
def test_every_ad_part_swapped_fails(swapped: bytes) -> None:
    with pytest.raises(IntegrityError):
        aead.open_sealed(KEY, bytes.fromhex(GOLDEN_SEALED), swapped)


def test_wrapped_cdk_ad_binds_segment_epoch_and_record() -> None:
    wrapped = aead.seal_exact(KEY, b"\x77" * 32, cdk_ad(HOME, 0, RECORD))
    for ad in (cdk_ad(HOME, 1, RECORD), cdk_ad(b"\x00" * 16, 0, RECORD), cdk_ad(HOME, 0, HOME)):
        with pytest.raises(IntegrityError):
            aead.open_exact(KEY, wrapped, ad)


def golden_header() -> header.Header:
    return header.wrap(
        b"\x33" * 32,
        b"correct horse",
        kdf.TEST_PARAMS,
        b"\x44" * 16,
        salt=b"\x55" * 16,
        nonce=b"\x66" * 24,
    )


def test_header_is_pinned() -> None:
    data = golden_header().to_bytes()
    assert len(data) == header.HEADER_SIZE
    assert data[:128].hex() == GOLDEN_HEADER_PREFIX
    assert data[128:] == b"\x00" * (header.HEADER_SIZE - 128)
    assert header.unwrap(header.parse(data), b"correct horse") == b"\x33" * 32


def test_every_flipped_header_byte_cannot_unlock() -> None:
    data = bytearray(golden_header().to_bytes())
    positions = list(range(128)) + list(range(128, header.HEADER_SIZE, 97))
    for i in positions:
        data[i] ^= 0x01
        with pytest.raises(CannotUnlock):
            header.unwrap(header.parse(bytes(data)), b"correct horse")
        data[i] ^= 0x01
    with pytest.raises(CannotUnlock):
        header.unwrap(header.parse(bytes(data)), b"wrong horse")


@settings(max_examples=300, deadline=None)
@given(
    st.binary(min_size=16, max_size=16),
    st.binary(min_size=16, max_size=16),
    st.text(max_size=40),
    st.integers(min_value=0, max_value=2**64 - 1),
)
def test_fast_field_ad_equals_the_generic_encoding(
    home: bytes, record: bytes, name: str, version: int
) -> None:
    assert field_ad(home, record, name, version) == enc("kith/field/1", home, record, name, version)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=300), max_size=20))
def test_decode_inverts_enc_and_refuses_any_damage(parts: list[bytes]) -> None:
    data = enc(*parts)
    assert decode(data) == parts
    for cut in range(len(data)):
        with pytest.raises(ValueError):
            decode(data[:cut])
    with pytest.raises(ValueError):
        decode(data + b"\x00")
