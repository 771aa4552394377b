"""The welcome: how a new member learns a segment, its founder, its name and its keys.

    data = make_welcome(me, recipient_sign, recipient_box, segment, founder, name, keys)
    welcome = open_welcome(me, data)      # BadBundle if not for us or damaged

Layout::

    payload = enc("kith/welcome/1", recipient (32), segment (16), founder (32), name,
                  enc(epoch, key) ...)                              at most 250 keys
    inner   = enc(sender (32), payload, Ed25519 signature of enc("kith/welcome-sig/1", payload))
    welcome = "KITHSYN1" || 0x01 || filler (32 random) || crypto_box_seal(recipient box, body)
    body    = filler (32) || len(inner) (u32) || inner || zeros
    len(welcome) = bundle.sealed_size(bundle.padded_length(len(inner) + 16))

A welcome looks like a bundle: the same magic and version, 32 random bytes where a bundle has
its id and hint, and exactly the size of a bundle (Padmé, 4178 bytes at least). A receiver
tries a file as a bundle first and, when no key's hint matches, as a welcome.

Rules and reasons:
- The ``member.add`` op already carries every epoch key sealed to the new member, but the
  new member cannot open a bundle (sealed under a segment key) to read it: the welcome closes
  that loop. It carries the same keys, so it adds no exposure.
- It is sealed to the recipient's X25519 key (only they can read the segment id, name and
  keys) and signed by the sender, whom the recipient must already know as a non-halted peer
  (checked by the caller): an anonymous sealed box alone would let anyone plant a segment.
- The recipient's signing key is inside the signed payload, so a welcome cannot be
  re-addressed to someone else.
- It is padded and framed like a bundle, with no magic of its own, so whoever carries it (a
  folder, a relay) cannot tell a welcome, the sign that someone just joined a segment, from
  any small bundle (issue 11). Over TCP the frame kind still says WELCOME.
- The same envelope carries a **removal notice** (payload ``enc("kith/removed/1", recipient,
  segment, founder, member.remove op wire)``) to a removed member, who can no longer open the
  segment's bundles: the op inside is signed by the admin who removed them, so the notice
  proves itself (``sync/welcomes.py`` checks it).
- Every failure (magic, size, box, padding, parse, signature, wrong recipient) is one
  ``BadBundle``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sync import bundle
from sync.author import Identity as Signer
from sync.errors import BadBundle
from vault.core.identity import verify
from vault.crypto import keys
from vault.encoding import decode, enc
from vault.errors import IntegrityError

MAGIC = bundle.MAGIC
VERSION = 1
PREFIX_BYTES = len(MAGIC) + 1 + 32
BOX_OVERHEAD = 48  # crypto_box_seal: ephemeral public key (32) and tag (16)
LABEL = "kith/welcome/1"
SIG_LABEL = "kith/welcome-sig/1"
NOTICE_LABEL = "kith/removed/1"
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
    removal: bytes | None = None


def sealed_length(inner_length: int) -> int:
    """The size of a welcome whose signed inner part is ``inner_length`` bytes."""
    return bundle.sealed_size(bundle.padded_length(inner_length + 16))


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
    return _envelope(me, recipient_box, payload)


def make_notice(
    me: Signer, recipient_sign: bytes, recipient_box: bytes, segment: bytes, founder: bytes,
    removal: bytes,
) -> bytes:
    """A removal notice: tells ``recipient`` it was removed, carrying the signed removal op."""
    return _envelope(me, recipient_box, enc(NOTICE_LABEL, recipient_sign, segment, founder,
                                            removal))


def _envelope(me: Signer, recipient_box: bytes, payload: bytes) -> bytes:
    inner = enc(me.signing_public, payload, me.sign(enc(SIG_LABEL, payload)))
    size = sealed_length(len(inner)) - PREFIX_BYTES - BOX_OVERHEAD
    filler = os.urandom(32)  # repeated inside the box, so the clear copy cannot be changed
    body = filler + len(inner).to_bytes(4, "big") + inner + bytes(size - 36 - len(inner))
    out = MAGIC + bytes([VERSION]) + filler + keys.box_seal(recipient_box, body)
    if len(out) > MAX_WELCOME_BYTES:
        raise ValueError("welcome too large")
    return out


def open_welcome(me: Signer, data: bytes) -> Welcome:
    """Open and check a welcome addressed to ``me``; ``BadBundle`` on any failure."""
    if (
        len(data) > MAX_WELCOME_BYTES or len(data) < PREFIX_BYTES + BOX_OVERHEAD + 36
        or data[: len(MAGIC)] != MAGIC or data[len(MAGIC)] != VERSION
    ):
        raise BadBundle
    try:
        body = me.open_box(data[PREFIX_BYTES:])
        length = int.from_bytes(body[32:36], "big")
        inner = body[36 : 36 + length]
        if (
            body[:32] != data[PREFIX_BYTES - 32 : PREFIX_BYTES] or len(inner) != length
            or body[36 + length :].strip(b"\x00") or len(data) != sealed_length(length)
        ):
            raise ValueError("bad filler or padding")
        sender, payload, signature = _exact(decode(inner, max_parts=3), 3)
        verify(sender, enc(SIG_LABEL, payload), signature)
        parts = decode(payload)
        if len(parts) < 5 or parts[0] not in (LABEL.encode(), NOTICE_LABEL.encode()) or (
            parts[1] != me.signing_public
        ):
            raise ValueError("not for us")
        segment, founder = parts[2], parts[3]
        if len(segment) != 16 or len(founder) != 32 or len(sender) != 32:
            raise ValueError("bad ids")
        if parts[0] == NOTICE_LABEL.encode():
            if len(parts) != 5:
                raise ValueError("bad notice")
            return Welcome(sender, segment, founder, "", (), parts[4])
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
