"""A two-way authenticated channel from an ephemeral X25519 exchange (the TCP sync session).

    secret, public = ephemeral()
    sender, receiver = channel(secret, their_public, transcript, initiator=True)
    sealed = sender.seal(header, payload)        # header is authenticated, not encrypted
    payload = receiver.open(header, sealed)      # IntegrityError on any failure

Rules and reasons:
- Keys: ``HKDF(X25519(mine, theirs), "kith/session/1", direction, transcript)`` with the
  project's length-prefixed ``info`` (``vault.encoding.enc``), one key per direction, so a
  frame can never be reflected back to its sender. The transcript (both hellos) is in the
  derivation, so keys are bound to this exchange and its fresh nonces.
- Every frame is XChaCha20-Poly1305 under its direction key with the frame's number as the
  nonce (a counter from 0, never reused under one key). A dropped, duplicated, reordered or
  replayed frame fails to open: the receiver expects exactly the next number.
- Ephemeral secrets live only in memory for one session: a later theft of the device's
  long-term keys does not open a recorded session (forward secrecy for the framing; the
  payloads are sealed bundles anyway).
- A shared secret of all zeros (a low-order point) is refused (``IntegrityError``).
"""

from __future__ import annotations

import os

from vault.crypto import aead, keys
from vault.crypto.kdf import hkdf_sha256
from vault.errors import IntegrityError

PURPOSE = "kith/session/1"
TAG_BYTES = aead.TAG_BYTES
MAX_FRAMES = 1 << 40


def ephemeral() -> tuple[bytes, bytes]:
    """A fresh X25519 secret and its public key, for one session."""
    secret = os.urandom(32)
    return secret, keys.x25519_public(secret)


class Direction:
    """One direction of the channel: a key and the number of the next frame."""

    def __init__(self, key: bytes) -> None:
        self._key = key
        self._next = 0

    def _nonce(self) -> bytes:
        if self._next >= MAX_FRAMES:
            raise IntegrityError
        nonce = self._next.to_bytes(aead.NONCE_BYTES, "big")
        self._next += 1
        return nonce

    def seal(self, header: bytes, payload: bytes) -> bytes:
        """``payload`` sealed as the next frame, ``header`` authenticated with it."""
        return aead.raw_xchacha_encrypt(self._key, self._nonce(), payload, header)

    def open(self, header: bytes, sealed: bytes) -> bytes:
        """The next frame's payload; ``IntegrityError`` if it is not exactly that frame."""
        return aead.raw_xchacha_decrypt(self._key, self._nonce(), sealed, header)


def channel(
    secret: bytes, their_public: bytes, transcript: bytes, *, initiator: bool
) -> tuple[Direction, Direction]:
    """(sending, receiving) directions for the side that ``initiator`` says."""
    shared = keys.x25519_shared(secret, their_public)
    if shared == bytes(32):
        raise IntegrityError
    outgoing = hkdf_sha256(shared, PURPOSE, "initiator" if initiator else "responder", transcript)
    incoming = hkdf_sha256(shared, PURPOSE, "responder" if initiator else "initiator", transcript)
    return Direction(outgoing), Direction(incoming)
