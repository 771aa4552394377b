"""Golden vectors for storage format 2 (docs/storage-format.md): the header with its state, the
bucket table, the bucket-key CDK wrap, and a flip of every meaningful header byte."""

from __future__ import annotations

import hashlib

import pytest

from vault.core import header_v2
from vault.core.keytree import BUCKETS, bucket_bounds, bucket_of, cdk_ad2, open_table, seal_table
from vault.crypto import aead, kdf
from vault.encoding import enc
from vault.errors import CannotUnlock, IntegrityError

VMK, KEK, ROOT = b"\x33" * 32, b"\x77" * 32, b"\x88" * 32
VAULT_ID, SALT = b"\x44" * 16, b"\x55" * 16
STATE = header_v2.KeyState(6, 7, b"\x99" * 32, ROOT)
# SHA-256 of the whole golden header: any change to the layout or the encodings changes it.
GOLDEN_SHA256 = "712f5fa32851eb0be6c2485645ab79d6563984e45f0f17db9869a4c961b33964"


def golden() -> header_v2.Header:
    hdr = header_v2.wrap(VMK, KEK, kdf.TEST_PARAMS, SALT, VAULT_ID, nonce=b"\x66" * 24)
    hsk = header_v2.state_key(VMK, VAULT_ID)
    return header_v2.with_state(hdr, hsk, STATE, nonce=b"\x22" * 24)


def test_layout_offsets() -> None:
    data = golden().to_bytes()
    assert len(data) == 4096
    assert hashlib.sha256(data).hexdigest() == GOLDEN_SHA256
    assert data[:8] == b"KITHVLT\x00" and data[8:10] == b"\x00\x02" and data[10] == 1
    assert data[11:23] == bytes.fromhex("000020000000000100000001")  # 8 MiB, t=1, p=1
    assert data[23:39] == SALT and data[39:55] == VAULT_ID and data[55] == 1
    assert data[56:80] == b"\x66" * 24 and data[128:152] == b"\x22" * 24
    assert data[248:] == b"\x00" * (4096 - 248)
    assert data[80:128] == aead.raw_xchacha_encrypt(
        KEK, b"\x66" * 24, VMK, enc("kith/header/2", data[:56])
    )
    assert data[152:248] == aead.raw_xchacha_encrypt(
        header_v2.state_key(VMK, VAULT_ID),
        b"\x22" * 24,
        (6).to_bytes(8, "big") + (7).to_bytes(8, "big") + b"\x99" * 32 + ROOT,
        enc("kith/header-state/2", data[:128]),
    )


def test_round_trip_and_state() -> None:
    parsed = header_v2.parse(golden().to_bytes())
    vmk = header_v2.unwrap(parsed, KEK)
    assert vmk == VMK
    state = header_v2.open_state(parsed, header_v2.state_key(vmk, VAULT_ID))
    assert state == STATE and state.root_for(7) == ROOT and state.root_for(6) == b"\x99" * 32
    assert state.root_for(5) is None and state.root_for(8) is None


def test_every_flipped_byte_is_refused() -> None:
    data = bytearray(golden().to_bytes())
    hsk = header_v2.state_key(VMK, VAULT_ID)
    for i in [*range(248), *range(248, 4096, 97)]:
        data[i] ^= 0x01
        with pytest.raises((CannotUnlock, IntegrityError)):
            parsed = header_v2.parse(bytes(data))
            header_v2.unwrap(parsed, KEK)
            header_v2.open_state(parsed, hsk)
        data[i] ^= 0x01


def test_a_state_cannot_move_under_another_wrap() -> None:
    """The state's AD covers bytes 0..127: grafted onto a re-wrapped header, it fails."""
    hdr = golden()
    other = header_v2.wrap(VMK, KEK, kdf.TEST_PARAMS, SALT, VAULT_ID)
    grafted = header_v2.Header(
        other.params,
        other.salt,
        other.vault_id,
        other.nonce,
        other.wrapped_vmk,
        hdr.state_nonce,
        hdr.sealed_state,
    )
    with pytest.raises(IntegrityError):
        header_v2.open_state(grafted, header_v2.state_key(VMK, VAULT_ID))


def test_buckets_cover_every_id_once() -> None:
    assert BUCKETS == 1024
    assert bucket_of(b"\x00" * 16) == 0 and bucket_of(b"\xff" * 16) == 1023
    assert bucket_of(b"\x00\x40" + b"\x00" * 14) == 1
    for bucket in (0, 1, 511, 1023):
        lo, hi = bucket_bounds(bucket)
        assert bucket_of(lo + b"\x00" * 14) == bucket
        if hi is not None:
            assert bucket_of(hi + b"\x00" * 14) == bucket + 1


def test_bucket_table_and_cdk_wrap_are_bound() -> None:
    keys = [bytes([i % 256]) * 32 for i in range(BUCKETS)]
    sealed = seal_table(ROOT, keys, VAULT_ID)
    assert len(sealed) == 1 + 24 + BUCKETS * 32 + 16
    assert open_table(ROOT, sealed, VAULT_ID) == keys
    with pytest.raises(IntegrityError):
        open_table(ROOT, sealed, b"\x45" * 16)
    with pytest.raises(IntegrityError):
        open_table(b"\x89" * 32, sealed, VAULT_ID)
    record, segment = b"\x01" * 16, b"\x02" * 16
    wrapped = aead.seal_exact(keys[0], b"\x07" * 32, cdk_ad2(segment, 0, record))
    for ad in (
        cdk_ad2(segment, 1, record),
        cdk_ad2(record, 0, record),
        cdk_ad2(segment, 0, segment),
    ):
        with pytest.raises(IntegrityError):
            aead.open_exact(keys[0], wrapped, ad)


def test_fast_cdk_ad_equals_enc() -> None:
    for segment, epoch, record in (
        (b"\x02" * 16, 0, b"\x01" * 16),
        (b"\xff" * 16, 2**40, b"\x00" * 16),
        (b"short", 3, b"\x01" * 16),
    ):
        assert cdk_ad2(segment, epoch, record) == enc("kith/cdk/2", segment, epoch, record)
