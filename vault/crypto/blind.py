"""Keyed, truncated BLAKE2b digests for blind indexes (DESIGN §5).

    digest(key, kind, value, bits) = first ``bits`` bits of
        BLAKE2b-256(key=key, message=enc("kith/blind/1", kind, value))

Rules and reasons:
- Keyed BLAKE2b is a PRF: without the key, a digest says nothing about the value, and a
  dictionary of all phone numbers (a small space) cannot be hashed and compared.
- ``kind`` (``email``, ``phone``, ``content``) is part of the length-prefixed message, so the
  same text indexed under two kinds gives unrelated digests.
- Truncation to ``bits`` is deliberate (CipherSweet's rule, see ``interchange/blind_index.py``):
  several different values share each digest, so the index alone cannot tell two contacts
  apart with certainty; every match is confirmed against the decrypted contact.

``hashlib.blake2b`` is the standard library, not one of the confined crypto packages; it lives
here anyway so every keyed primitive of Kith is in one place.
"""

from __future__ import annotations

import hashlib

from vault.encoding import enc

MAX_BITS = 64


_LABEL = "kith/blind/1"
_HEADS: dict[str, bytes] = {}


def _message(kind: str, value: bytes | str) -> bytes:
    """``enc("kith/blind/1", kind, value)``, with the constant head computed once per kind
    (this runs for every email and phone of an import; pinned to ``enc`` by a test)."""
    head = _HEADS.get(kind)
    if head is None:
        head = _HEADS[kind] = enc(_LABEL, kind, b"")[:-4]
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return b"".join((head, len(raw).to_bytes(4, "big"), raw))


def digest(key: bytes, kind: str, value: bytes | str, bits: int) -> int:
    """The ``bits``-bit blind digest of ``value`` under ``key``, as a non-negative integer."""
    if len(key) != 32 or not 1 <= bits <= MAX_BITS:
        raise ValueError("blind index key must be 32 bytes and bits 1..64")
    full = hashlib.blake2b(_message(kind, value), key=key, digest_size=32).digest()
    return int.from_bytes(full[:8], "big") >> (MAX_BITS - bits)


__all__ = ["MAX_BITS", "digest"]
