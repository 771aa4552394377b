"""Sealing and opening bytes with XChaCha20-Poly1305, the one AEAD Kith uses at rest.

Layout of a sealed value (suite 1)::

    +-------+----------------------+------------------------------+----------+
    | suite | nonce (24, random)   | ciphertext of pad(plaintext) | tag (16) |
    | 0x01  |                      |                              |          |
    +-------+----------------------+------------------------------+----------+

Rules and reasons:
- The nonce is 24 random bytes from the OS for every seal: XChaCha's 192-bit nonce makes random
  nonces safe for far more messages than one key will ever see, so no counter state can be lost.
- The suite byte is authenticated (it is part of the associated data) so a future suite cannot be
  swapped in under an old ciphertext.
- Every failure (short input, unknown suite, bad tag, wrong key, wrong AD) is one
  ``IntegrityError``: callers and users get no oracle about which part was wrong.
- ``pad`` uses ISO/IEC 7816-4 padding (0x80 then zeros) to the next multiple of ``bucket`` bytes,
  so the length of a name or a phone number leaks only its 32-byte bucket.
"""

from __future__ import annotations

import os

from nacl import bindings as sodium
from nacl._sodium import ffi, lib
from nacl.exceptions import CryptoError

from vault.errors import IntegrityError

SUITE_XCHACHA20_POLY1305 = 1
KEY_BYTES = 32
NONCE_BYTES = 24
TAG_BYTES = 16
OVERHEAD = 1 + NONCE_BYTES + TAG_BYTES
PAD_BUCKET = 32
_SUITE = bytes([SUITE_XCHACHA20_POLY1305])


def random_key() -> bytes:
    """A fresh 32-byte key from the OS CSPRNG."""
    return os.urandom(KEY_BYTES)


def pad(data: bytes, bucket: int = PAD_BUCKET) -> bytes:
    """Append 0x80 and zeros up to the next multiple of ``bucket`` (always at least one byte)."""
    padded_len = (len(data) // bucket + 1) * bucket
    return data + b"\x80" + b"\x00" * (padded_len - len(data) - 1)


def unpad(data: bytes) -> bytes:
    """Remove ISO/IEC 7816-4 padding; anything malformed is an ``IntegrityError``."""
    end = data.rfind(b"\x80")
    if end < 0 or data[end + 1 :].strip(b"\x00") or len(data) % PAD_BUCKET:
        raise IntegrityError
    return data[:end]


def _xchacha_encrypt(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """The primitive: ciphertext || tag. Direct libsodium call, because the PyNaCl wrapper costs
    ten times the cipher on short fields; it checks only what is checked here."""
    if len(key) != KEY_BYTES or len(nonce) != NONCE_BYTES:
        raise ValueError("XChaCha20-Poly1305 needs a 32-byte key and a 24-byte nonce")
    out = ffi.new("unsigned char[]", len(plaintext) + TAG_BYTES)
    lib.crypto_aead_xchacha20poly1305_ietf_encrypt(
        out, ffi.NULL, plaintext, len(plaintext), ad, len(ad), ffi.NULL, nonce, key
    )
    body: bytes = ffi.buffer(out)[:]
    return body


def _xchacha_decrypt(key: bytes, nonce: bytes, body: bytes, ad: bytes) -> bytes:
    """The primitive's inverse; every failure is ``IntegrityError``."""
    if len(key) != KEY_BYTES or len(nonce) != NONCE_BYTES or len(body) < TAG_BYTES:
        raise IntegrityError
    out = ffi.new("unsigned char[]", max(1, len(body) - TAG_BYTES))
    status = lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        out, ffi.NULL, ffi.NULL, body, len(body), ad, len(ad), nonce, key
    )
    if status != 0:
        raise IntegrityError
    plain: bytes = ffi.buffer(out, len(body) - TAG_BYTES)[:]
    return plain


def seal_exact(key: bytes, plaintext: bytes, ad: bytes, *, nonce: bytes | None = None) -> bytes:
    """XChaCha20-Poly1305 without padding: ``suite | nonce | ciphertext | tag``; the length of
    the value shows, so only fixed-size values (keys, the bucket table) are sealed this way.

    ``nonce`` exists only so golden-vector tests can pin the output; production callers never
    pass it.
    """
    nonce = os.urandom(NONCE_BYTES) if nonce is None else nonce
    return _SUITE + nonce + _xchacha_encrypt(key, nonce, plaintext, _SUITE + ad)


def open_exact(key: bytes, sealed: bytes, ad: bytes) -> bytes:
    """Open what ``seal_exact`` made; any failure is one ``IntegrityError``."""
    if len(sealed) < OVERHEAD or sealed[0] != SUITE_XCHACHA20_POLY1305:
        raise IntegrityError
    nonce = sealed[1 : 1 + NONCE_BYTES]
    return _xchacha_decrypt(key, nonce, sealed[1 + NONCE_BYTES :], _SUITE + ad)


def seal(key: bytes, plaintext: bytes, ad: bytes, *, nonce: bytes | None = None) -> bytes:
    """Pad to a 32-byte bucket, then ``seal_exact``: the format of every sealed field."""
    return seal_exact(key, pad(plaintext), ad, nonce=nonce)


def open_sealed(key: bytes, sealed: bytes, ad: bytes) -> bytes:
    """Inverse of ``seal``; the tag is checked before the padding is looked at."""
    return unpad(open_exact(key, sealed, ad))


def seal_indexed(key: bytes, seed: bytes, items: list[tuple[bytes, bytes]]) -> list[bytes]:
    """Pad each ``(plaintext, ad)`` to a 32-byte bucket and encrypt it under nonce
    ``seed | index (8 bytes)``: ``ciphertext | tag`` each, nothing else stored.

    The CALLER guarantees the seed is fresh and random for every call under ``key``: only the
    packed fields of a record use this (``vault/core/packed.py``; the uniqueness argument is in
    docs/storage-format.md, "Packed fields"). One call per record keeps the loop out of the
    caller's hot path."""
    if len(key) != KEY_BYTES or len(seed) != NONCE_BYTES - 8:
        raise ValueError("XChaCha20-Poly1305 needs a 32-byte key and a 16-byte seed")
    encrypt = lib.crypto_aead_xchacha20poly1305_ietf_encrypt
    out: list[bytes] = []
    for index, (plaintext, ad) in enumerate(items):
        padded = pad(plaintext)
        buffer = ffi.new("unsigned char[]", len(padded) + TAG_BYTES)
        nonce = seed + index.to_bytes(8, "big")
        encrypt(buffer, ffi.NULL, padded, len(padded), ad, len(ad), ffi.NULL, nonce, key)
        out.append(ffi.buffer(buffer)[:])
    return out


def open_indexed(key: bytes, seed: bytes, items: list[tuple[int, bytes, bytes]]) -> list[bytes]:
    """Inverse of ``seal_indexed`` for ``(index, body, ad)`` items; any failure is one
    ``IntegrityError`` (every tag is checked before any padding is looked at)."""
    if len(key) != KEY_BYTES or len(seed) != NONCE_BYTES - 8:
        raise IntegrityError
    decrypt = lib.crypto_aead_xchacha20poly1305_ietf_decrypt
    out: list[bytes] = []
    for index, body, ad in items:
        size = len(body) - TAG_BYTES
        if size < 0:
            raise IntegrityError
        buffer = ffi.new("unsigned char[]", max(1, size))
        nonce = seed + index.to_bytes(8, "big")
        if decrypt(buffer, ffi.NULL, ffi.NULL, body, len(body), ad, len(ad), nonce, key) != 0:
            raise IntegrityError
        out.append(unpad(ffi.buffer(buffer, size)[:]))
    return out


def raw_xchacha_decrypt(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, ad: bytes) -> bytes:
    """The primitive ``open_exact`` uses, bare, for known-answer tests (Wycheproof)."""
    return _xchacha_decrypt(key, nonce, ciphertext_and_tag, ad)


def raw_xchacha_encrypt(key: bytes, nonce: bytes, plaintext: bytes, ad: bytes) -> bytes:
    """The primitive ``seal_exact`` uses, bare, for known-answer tests (Wycheproof)."""
    return _xchacha_encrypt(key, nonce, plaintext, ad)


def raw_chacha_decrypt(key: bytes, nonce: bytes, ciphertext_and_tag: bytes, ad: bytes) -> bytes:
    """IETF ChaCha20-Poly1305 (12-byte nonce), for known-answer tests only."""
    try:
        plain: bytes = sodium.crypto_aead_chacha20poly1305_ietf_decrypt(
            ciphertext_and_tag, ad, nonce, key
        )
    except CryptoError:
        raise IntegrityError from None
    return plain
