"""Sign-ups sealed to an intake form's public key: the browser's format, opened here.

A web form (``relay/static/form.js``, WebCrypto only) and the relay's SMS webhook seal each
submission to the organizers' P-256 public key; only the vault holding the form's secret key
opens it. Layout::

    offset size  field
    0      8     magic "KITHINT1"
    8      1     version = 1
    9      65    ephemeral P-256 public key, uncompressed (0x04 || X || Y)
    74     12    AES-GCM nonce (random)
    86     ...   AES-256-GCM ciphertext of pad(plaintext), then its 16-byte tag

    shared = ECDH(ephemeral, form key): the 32-byte X coordinate
    key    = HKDF-SHA256(ikm=shared, salt=form id (16), info="kith/intake/1" || form public (65))
    AD     = bytes 0..86 || form id
    pad    = ISO/IEC 7816-4 (0x80, then zeros) to a multiple of 512 bytes

Rules and reasons:
- P-256 ECDH, HKDF-SHA256 and AES-GCM are in every browser's WebCrypto (X25519 is not yet
  everywhere), so the page needs no script from anywhere but the relay itself.
- A fresh ephemeral key per submission: submissions cannot be linked by their keys, and the
  form's secret key never leaves the vault. The form id in the salt and the AD binds a
  submission to its form: a sealed sign-up moved to another form does not open.
- Padding to 512 bytes hides the length of a name or an address within its bucket.
- The size is checked before anything else, and every failure (length, magic, point, tag,
  padding) is one ``IntegrityError``.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from vault.errors import IntegrityError

MAGIC = b"KITHINT1"
VERSION = 1
POINT_BYTES = 65
NONCE_BYTES = 12
HEADER_BYTES = len(MAGIC) + 1 + POINT_BYTES + NONCE_BYTES  # 86
TAG_BYTES = 16
FORM_ID_BYTES = 16
BUCKET = 512
MAX_SEALED_BYTES = 16 * 1024
INFO = b"kith/intake/1"


def new_key() -> tuple[bytes, bytes]:
    """A new form key pair: (32-byte secret scalar, 65-byte uncompressed public point)."""
    secret = ec.generate_private_key(ec.SECP256R1())
    return secret.private_numbers().private_value.to_bytes(32, "big"), _point(secret)


def public_of(secret: bytes) -> bytes:
    """The public point of a secret scalar."""
    return _point(ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1()))


def _point(secret: ec.EllipticCurvePrivateKey) -> bytes:
    return secret.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def _key(shared: bytes, form_id: bytes, form_public: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=form_id, info=INFO + form_public
    ).derive(shared)


def _pad(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % BUCKET)


def _unpad(data: bytes) -> bytes:
    end = data.rstrip(b"\x00")
    if not end.endswith(b"\x80") or len(data) % BUCKET:
        raise IntegrityError
    return end[:-1]


def seal(form_public: bytes, form_id: bytes, plaintext: bytes) -> bytes:
    """Seal ``plaintext`` to a form's public key (what the browser does, for SMS)."""
    if len(form_id) != FORM_ID_BYTES:
        raise ValueError("a form id is 16 bytes")
    recipient = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), form_public)
    ephemeral = ec.generate_private_key(ec.SECP256R1())
    shared = ephemeral.exchange(ec.ECDH(), recipient)
    nonce = os.urandom(NONCE_BYTES)
    header = MAGIC + bytes([VERSION]) + _point(ephemeral) + nonce
    body = AESGCM(_key(shared, form_id, form_public)).encrypt(
        nonce, _pad(plaintext), header + form_id
    )
    sealed = header + body
    if len(sealed) > MAX_SEALED_BYTES:
        raise ValueError("a submission is at most 16 KiB sealed")
    return sealed


def open_sealed(secret: bytes, form_id: bytes, data: bytes) -> bytes:
    """Open one submission for the form ``form_id``; ``IntegrityError`` on any failure."""
    if (
        len(data) > MAX_SEALED_BYTES
        or len(data) < HEADER_BYTES + BUCKET + TAG_BYTES
        or data[: len(MAGIC)] != MAGIC
        or data[len(MAGIC)] != VERSION
    ):
        raise IntegrityError
    header = data[:HEADER_BYTES]
    point = header[len(MAGIC) + 1 : len(MAGIC) + 1 + POINT_BYTES]
    nonce = header[-NONCE_BYTES:]
    try:
        mine = ec.derive_private_key(int.from_bytes(secret, "big"), ec.SECP256R1())
        theirs = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        shared = mine.exchange(ec.ECDH(), theirs)
        key = _key(shared, form_id, _point(mine))
        padded = AESGCM(key).decrypt(nonce, data[HEADER_BYTES:], header + form_id)
    except (InvalidTag, ValueError):
        raise IntegrityError from None
    return _unpad(padded)
