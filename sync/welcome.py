"""The welcome: how a new member learns a segment, its founder, its name and its keys.

    data = make_welcome(me, recipient_sign, recipient_box, segment, founder, name, keys)
    welcome = open_welcome(me, data)      # BadBundle if not for us or damaged

Layout::

    payload = enc("kith/welcome/1", recipient (32), segment (16), founder (32), name,
                  enc(epoch, key) ...)                              at most 250 keys
    inner   = enc(sender (32), payload, Ed25519 signature of enc("kith/welcome-sig/1", payload))
    welcome = "KITHWEL1" || 0x01 || crypto_box_seal(recipient box key, pad(inner))

Rules and reasons:
- The ``member.add`` op already carries every epoch key sealed to the new member, but the
  new member cannot open a bundle (sealed under a segment key) to read it: the welcome closes
  that loop. It carries the same keys, so it adds no exposure.
- It is sealed to the recipient's X25519 key (only they can read the segment id, name and
  keys) and signed by the sender, whom the recipient must already know as a non-halted peer
  (checked by the caller): an anonymous sealed box alone would let anyone plant a segment.
- The recipient's signing key is inside the signed payload, so a welcome cannot be
  re-addressed to someone else.
- Every failure (magic, box, padding, parse, signature, wrong recipient) is one ``BadBundle``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sync.author import Identity as Signer
from sync.errors import BadBundle
from vault.crypto import aead, keys
from vault.encoding import decode, enc
from vault.errors import IntegrityError
from vault.identity import verify

MAGIC = b"KITHWEL1"
VERSION = 1
LABEL = "kith/welcome/1"
SIG_LABEL = "kith/welcome-sig/1"
MAX_WELCOME_BYTES = 64 * 1024
MAX_KEYS = 250


@dataclass(frozen=True)
class Welcome:
    """An opened, authentic welcome (the caller still checks ``sender`` is a known peer)."""

    sender: bytes
    segment: bytes
    founder: bytes
    name: str
    keys: tuple[tuple[int, bytes], ...]


def is_welcome(data: bytes) -> bool:
    """Whether ``data`` claims to be a welcome (by its magic; nothing is checked)."""
    return data[: len(MAGIC)] == MAGIC


def make_welcome(
    me: Signer, recipient_sign: bytes, recipient_box: bytes, segment: bytes, founder: bytes,
    name: str, epoch_keys: list[tuple[int, bytes]],
) -> bytes:
    """A welcome for ``recipient`` to ``segment``."""
    if len(epoch_keys) > MAX_KEYS:
        raise ValueError("too many keys")
    payload = enc(
        LABEL, recipient_sign, segment, founder, name, *(enc(e, k) for e, k in epoch_keys)
    )
    inner = enc(me.signing_public, payload, me.sign(enc(SIG_LABEL, payload)))
    return MAGIC + bytes([VERSION]) + keys.box_seal(recipient_box, aead.pad(inner))


def open_welcome(me: Signer, data: bytes) -> Welcome:
    """Open and check a welcome addressed to ``me``; ``BadBundle`` on any failure."""
    if len(data) > MAX_WELCOME_BYTES or not is_welcome(data) or data[len(MAGIC)] != VERSION:
        raise BadBundle
    try:
        inner = aead.unpad(me.open_box(data[len(MAGIC) + 1 :]))
        sender, payload, signature = _exact(decode(inner, max_parts=3), 3)
        verify(sender, enc(SIG_LABEL, payload), signature)
        parts = decode(payload)
        if len(parts) < 5 or parts[0] != LABEL.encode() or parts[1] != me.signing_public:
            raise ValueError("not for us")
        segment, founder = parts[2], parts[3]
        if len(segment) != 16 or len(founder) != 32 or len(sender) != 32:
            raise ValueError("bad ids")
        found = []
        for raw in parts[5:]:
            epoch, key = _exact(decode(raw, max_parts=2), 2)
            if len(epoch) != 8 or len(key) != 32:
                raise ValueError("bad key")
            found.append((int.from_bytes(epoch, "big"), key))
        return Welcome(sender, segment, founder, parts[4].decode("utf-8"), tuple(found))
    except (ValueError, IntegrityError, UnicodeDecodeError):
        raise BadBundle from None


def _exact(parts: list[bytes], count: int) -> list[bytes]:
    if len(parts) != count:
        raise ValueError("wrong part count")
    return parts
