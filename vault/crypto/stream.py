"""libsodium's ``crypto_secretstream_xchacha20poly1305``: a stream of authenticated chunks.

Used by sync bundles (``sync/bundle.py``). Only the primitive lives here; framing, chunk sizes
and padding are the caller's.

Rules and reasons:
- One fresh key per stream (the caller derives it per bundle), and libsodium draws the 24-byte
  stream header at random: no nonce is ever chosen by Kith code.
- Every chunk is authenticated, and the stream binds chunk order: chunks cannot be reordered,
  dropped or duplicated without the next ``pull`` failing.
- Only two tags exist for Kith: ``MESSAGE`` for every chunk but the last, ``FINAL`` for the
  last. A puller that sees ``PUSH`` or ``REKEY`` fails, so a stream means one thing only.
  Truncation is the caller's check: a stream that ends without ``FINAL`` must be refused.
- Every failure (short chunk, bad tag, wrong key, wrong AD, unknown tag, use after FINAL) is one
  ``IntegrityError``: no oracle about which part was wrong.
"""

from __future__ import annotations

from nacl import bindings as sodium
from nacl.exceptions import CryptoError
from nacl.exceptions import RuntimeError as NaclRuntimeError

from vault.errors import IntegrityError

KEY_BYTES: int = sodium.crypto_secretstream_xchacha20poly1305_KEYBYTES  # 32
HEADER_BYTES: int = sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
ABYTES: int = sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17: tag byte + MAC
TAG_MESSAGE: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL: int = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL


class Pusher:
    """The encrypting end of one stream; ``header`` must be sent before the first chunk."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError("key must be 32 bytes")
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        self.header: bytes = sodium.crypto_secretstream_xchacha20poly1305_init_push(
            self._state, key
        )
        self._done = False

    def push(self, chunk: bytes, ad: bytes = b"", *, final: bool = False) -> bytes:
        """Encrypt one chunk (``len(chunk) + ABYTES`` bytes out); ``final`` ends the stream."""
        if self._done:
            raise ValueError("stream already finished")
        self._done = final
        out: bytes = sodium.crypto_secretstream_xchacha20poly1305_push(
            self._state, chunk, ad or None, TAG_FINAL if final else TAG_MESSAGE
        )
        return out


class Puller:
    """The decrypting end of one stream."""

    def __init__(self, key: bytes, header: bytes) -> None:
        if len(key) != KEY_BYTES or len(header) != HEADER_BYTES:
            raise IntegrityError
        self._state = sodium.crypto_secretstream_xchacha20poly1305_state()
        try:
            sodium.crypto_secretstream_xchacha20poly1305_init_pull(self._state, header, key)
        except (CryptoError, NaclRuntimeError, ValueError):
            raise IntegrityError from None
        self._done = False

    def pull(self, chunk: bytes, ad: bytes = b"") -> tuple[bytes, bool]:
        """Decrypt and verify one chunk: ``(plaintext, is_final)``."""
        if self._done or len(chunk) < ABYTES:
            raise IntegrityError
        try:
            plain, tag = sodium.crypto_secretstream_xchacha20poly1305_pull(
                self._state, chunk, ad or None
            )
        except (CryptoError, NaclRuntimeError, ValueError, TypeError):
            raise IntegrityError from None
        if tag not in (TAG_MESSAGE, TAG_FINAL):
            raise IntegrityError
        self._done = tag == TAG_FINAL
        return bytes(plain), self._done
