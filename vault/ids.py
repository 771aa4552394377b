"""Record ids as people see them: lowercase hex, shown short, accepted by any unique prefix.

Rule: the full id is 16 random bytes (32 hex digits, in ``--json``); people see the first 12
digits (48 bits: a collision among a million contacts has odds of about 1 in 500) and may type
any unique prefix. An ambiguous prefix is refused, never guessed.
"""

from __future__ import annotations

import string

from vault.errors import InvalidInput

SHORT_DIGITS = 12
FULL_DIGITS = 32


def full(record_id: bytes) -> str:
    """All 32 hex digits."""
    return record_id.hex()


def short(record_id: bytes) -> str:
    """The first 12 hex digits."""
    return record_id.hex()[:SHORT_DIGITS]


def parse_prefix(text: str) -> tuple[bytes, int]:
    """(prefix bytes, number of significant bits) of a typed id prefix."""
    digits = text.strip().lower()
    if not digits or len(digits) > FULL_DIGITS or any(c not in string.hexdigits for c in digits):
        raise InvalidInput("(an id is 1 to 32 hex digits)")
    bits = len(digits) * 4
    if len(digits) % 2:
        digits += "0"
    return bytes.fromhex(digits), bits
