"""Safety numbers and invitation codes: what two people compare and exchange out of band.

Safety number (after Signal's numeric fingerprint)::

    f(keys)   = SHA-512 iterated 5200 times: h0 = SHA-512(enc("kith/safety/1", sign, box)),
                h(i+1) = SHA-512(h(i) || sign || box); take the first 30 bytes
    digits(f) = six 5-byte big-endian chunks, each mod 100000, as 5 digits: 30 digits
    number    = digits of the two parties' f, lower (sign || box) first: 60 digits,
                shown as 12 groups of 5

Invitation code::

    payload = version (1 byte = 0x01) || Ed25519 public (32) || X25519 public (32)
    check   = SHA-256(enc("kith/invite/1", payload))[:5]
    code    = "KITH-" + Crockford base32 of payload || check (112 symbols), in groups of 4

Rules and reasons:
- Both parties compute the same number (sorted halves), so it can be read aloud and compared
  on two screens; it covers both keys of each device, so neither key can be swapped alone.
- 5200 iterations (Signal's count) make a search for a key whose 30 digits match a target cost
  about 2^99.7 x 5200 hashes; 30 digits per party is about 99.7 bits.
- Invitation codes use Crockford's base32 (no I, L, O, U; case-insensitive; I and L read as 1,
  O as 0) so they survive being read over a phone line and retyped; dashes and spaces are
  ignored. The 40-bit check catches typos (a random error passes once in 10^12), not attacks:
  an invitation is only trusted after the safety number is compared.
- The parser is strict: the prefix, exactly 112 symbols, version 1, the check, and no all-zero
  key; anything else is ``BadInvitation``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sync.errors import BadInvitation
from vault.encoding import enc

ITERATIONS = 5200
SAFETY_LABEL = "kith/safety/1"
INVITE_LABEL = "kith/invite/1"
INVITE_VERSION = 1
PREFIX = "KITH-"
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE = {ch: i for i, ch in enumerate(ALPHABET)} | {"O": 0, "I": 1, "L": 1}
CHECK_BYTES = 5
KEY_BYTES = 32
PAYLOAD_BYTES = 1 + 2 * KEY_BYTES
CODE_SYMBOLS = (PAYLOAD_BYTES + CHECK_BYTES) * 8 // 5  # 112


def _fingerprint(signing_public: bytes, box_public: bytes) -> str:
    digest = hashlib.sha512(enc(SAFETY_LABEL, signing_public, box_public)).digest()
    for _ in range(ITERATIONS):
        digest = hashlib.sha512(digest + signing_public + box_public).digest()
    return "".join(
        f"{int.from_bytes(digest[i : i + 5], 'big') % 100000:05d}" for i in range(0, 30, 5)
    )


def safety_number(mine: tuple[bytes, bytes], theirs: tuple[bytes, bytes]) -> str:
    """The 60-digit number two devices compare, as 12 groups of 5 digits."""
    halves = sorted([mine, theirs], key=lambda keys: keys[0] + keys[1])
    digits = "".join(_fingerprint(*keys) for keys in halves)
    return " ".join(digits[i : i + 5] for i in range(0, 60, 5))


def device_number(signing_public: bytes, box_public: bytes) -> str:
    """One device's 30-digit half of every safety number it is part of, as 6 groups of 5.

    ``kith id show`` prints it: a person can read it out once, and each peer finds it as one
    half of the number they compare.
    """
    digits = _fingerprint(signing_public, box_public)
    return " ".join(digits[i : i + 5] for i in range(0, 30, 5))


@dataclass(frozen=True)
class Invitation:
    """The two public keys an invitation code carries."""

    signing_public: bytes
    box_public: bytes


def _check(payload: bytes) -> bytes:
    return hashlib.sha256(enc(INVITE_LABEL, payload)).digest()[:CHECK_BYTES]


def invitation_code(signing_public: bytes, box_public: bytes) -> str:
    """The code a person reads out or sends so another can invite them."""
    if len(signing_public) != KEY_BYTES or len(box_public) != KEY_BYTES:
        raise ValueError("keys are 32 bytes")
    payload = bytes([INVITE_VERSION]) + signing_public + box_public
    number = int.from_bytes(payload + _check(payload), "big")
    symbols = "".join(
        ALPHABET[(number >> (5 * (CODE_SYMBOLS - 1 - i))) & 31] for i in range(CODE_SYMBOLS)
    )
    return PREFIX + "-".join(symbols[i : i + 4] for i in range(0, CODE_SYMBOLS, 4))


def parse_invitation(code: str) -> Invitation:
    """Strictly parse an invitation code (see the module rules); ``BadInvitation`` if not."""
    text = code.strip().upper()
    if not text.startswith(PREFIX) or len(text) > 4 * CODE_SYMBOLS:
        raise BadInvitation
    symbols = [ch for ch in text[len(PREFIX) :] if ch not in "- "]
    if len(symbols) != CODE_SYMBOLS or any(ch not in _DECODE for ch in symbols):
        raise BadInvitation
    number = 0
    for ch in symbols:
        number = (number << 5) | _DECODE[ch]
    raw = number.to_bytes(PAYLOAD_BYTES + CHECK_BYTES, "big")
    payload, check = raw[:PAYLOAD_BYTES], raw[PAYLOAD_BYTES:]
    if payload[0] != INVITE_VERSION or check != _check(payload):
        raise BadInvitation
    signing_public, box_public = payload[1 : 1 + KEY_BYTES], payload[1 + KEY_BYTES :]
    if not any(signing_public) or not any(box_public):
        raise BadInvitation
    return Invitation(signing_public, box_public)
