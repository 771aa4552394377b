"""Device identity keys and sealed boxes: Ed25519 signatures and X25519 (libsodium).

Rules: signatures are verified before anything signed is used, and every failure (bad length,
bad signature, low-order point) is one ``IntegrityError``.
"""

from __future__ import annotations

from nacl import bindings as sodium
from nacl.exceptions import CryptoError
from nacl.exceptions import RuntimeError as NaclRuntimeError

from vault.errors import IntegrityError


def ed25519_keypair(seed: bytes) -> tuple[bytes, bytes]:
    """(public key, secret key) from a 32-byte seed."""
    pk, sk = sodium.crypto_sign_seed_keypair(seed)
    return bytes(pk), bytes(sk)


def ed25519_sign(secret_key: bytes, message: bytes) -> bytes:
    """A 64-byte detached signature."""
    signed: bytes = sodium.crypto_sign(message, secret_key)
    return signed[:64]


def ed25519_verify(public_key: bytes, message: bytes, signature: bytes) -> None:
    """Raise ``IntegrityError`` unless ``signature`` is valid for ``message``."""
    if len(public_key) != 32 or len(signature) != 64:
        raise IntegrityError
    try:
        sodium.crypto_sign_open(signature + message, public_key)
    except (CryptoError, ValueError):
        raise IntegrityError from None


def x25519_public(secret: bytes) -> bytes:
    """The public key of a 32-byte X25519 secret."""
    out: bytes = sodium.crypto_scalarmult_base(secret)
    return out


def x25519_shared(secret: bytes, public: bytes) -> bytes:
    """The raw X25519 shared secret; low-order points are an ``IntegrityError``."""
    if len(secret) != 32 or len(public) != 32:
        raise IntegrityError
    try:
        out: bytes = sodium.crypto_scalarmult(secret, public)
    except (CryptoError, NaclRuntimeError):
        raise IntegrityError from None
    return out


def box_seal(public: bytes, message: bytes) -> bytes:
    """Anonymous sealed box to an X25519 public key (``crypto_box_seal``)."""
    out: bytes = sodium.crypto_box_seal(message, public)
    return out


def box_seal_open(public: bytes, secret: bytes, sealed: bytes) -> bytes:
    """Open a sealed box; any failure is ``IntegrityError``."""
    try:
        out: bytes = sodium.crypto_box_seal_open(sealed, public, secret)
    except (CryptoError, ValueError):
        raise IntegrityError from None
    return out
