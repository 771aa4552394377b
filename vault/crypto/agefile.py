"""A strict, bounded reader of the age v1 header (C2SP age spec, https://c2sp.org/age).

Kith backups are age v1 files, written and decrypted by ``pyrage``. pyrage accepts some headers
that the spec says MUST be rejected (a stanza with no body line, a stanza whose body ends on a
full 64-column line, an scrypt work factor of 2^23), so every backup is read here first, in pure
Python and before any key or passphrase touches it. Anything this module rejects raises
``IntegrityError``: the file was damaged or built by something other than an age encoder.

This module imports no cryptography: it checks shape, never secrets. The MAC is returned for
pyrage to verify, because checking it needs the file key.

The header, as read here (ABNF from the spec, with Kith's bounds added)::

    header     = "age-encryption.org/v1" LF 1*stanza end     ; at most 64 KiB
    stanza     = "-> " argument *(SP argument) LF             ; at most 256 stanzas
                 *(64base64char LF) *63base64char LF          ; arg line at most 4 KiB
    end        = "--- " 43base64char LF
    argument   = 1*VCHAR

Rules, each with its reason:

- Only binary age v1. Armored (PEM) files are refused: Kith writes backups unarmored, armor adds
  a second encoding with its own malleability, and Debian's age 1.1.1 fails two armor vectors.
- Base64 is canonical and unpadded (spec: decoders MUST reject non-canonical encodings and ``=``),
  so one header has exactly one encoding and no bits hide in the padding.
- A stanza body is 64-column lines ended by exactly one shorter line, which MAY be empty (spec:
  the body MUST end with a line shorter than 64 characters). pyrage alone accepts a missing body
  and a missing final line.
- X25519 stanzas have exactly one argument, a canonical 32-byte share, and a 32-byte body; scrypt
  stanzas have exactly a canonical 16-byte salt and a work factor matching ``^[1-9][0-9]*$``, and
  a 32-byte body (spec: the identity MUST check these, and the body length before decrypting, to
  mitigate partitioning oracle attacks).
- The scrypt work factor is capped at log2 N = 20 (spec: SHOULD apply an upper limit). Reason:
  N = 2^20 with r = 8 already costs 1 GiB of memory and about two seconds; a file asking for 2^23
  would make a restore take 8 GiB, which is a denial of service, not a backup.
- An scrypt stanza MUST be the only stanza (spec), so a passphrase file cannot also be opened by
  someone else's key, which the person who typed the passphrase would not expect.
- The header is at most 64 KiB, an argument line at most 4 KiB and there are at most 256
  stanzas. Reason: the reader holds the header in memory and pyrage tries every stanza with
  every identity; the largest native argument (a 1,153-byte ML-KEM share) is about 1.6 KB in
  base64, and a Kith backup has a handful of stanzas.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import NamedTuple

from vault.errors import IntegrityError

MAX_HEADER_BYTES = 64 * 1024
MAX_ARG_LINE_BYTES = 4 * 1024
MAX_STANZAS = 256
MAX_SCRYPT_LOG_N = 20

VERSION_PREFIX = b"age-encryption.org/"
VERSION_LINE = b"age-encryption.org/v1"
STANZA_PREFIX = b"-> "
MAC_PREFIX = b"--- "
ARMOR_MARKER = b"-----BEGIN"
BODY_COLUMNS = 64
WRAPPED_FILE_KEY_BYTES = 32  # 16-byte file key + 16-byte ChaCha20-Poly1305 tag
X25519_SHARE_BYTES = 32
SCRYPT_SALT_BYTES = 16

X25519_TYPE = "X25519"
SCRYPT_TYPE = "scrypt"

_B64_CHARS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
_VCHAR = frozenset(range(0x21, 0x7F))
_WORK_FACTOR = re.compile(r"[1-9][0-9]*")


class Stanza(NamedTuple):
    """One recipient stanza: its type (first argument), the other arguments, the decoded body."""

    type: str
    args: tuple[str, ...]
    body: bytes


@dataclass(frozen=True, slots=True)
class AgeHeader:
    """A header that passed every rule above.

    ``header_end`` is the offset of the first payload byte (the payload nonce), just past the LF
    that ends the MAC line.
    """

    stanzas: tuple[Stanza, ...]
    mac: bytes
    header_end: int

    @property
    def is_passphrase(self) -> bool:
        """True for a passphrase (scrypt) file, which then has that one stanza and no other."""
        return self.stanzas[0].type == SCRYPT_TYPE

    @property
    def scrypt_log_n(self) -> int | None:
        """The scrypt work factor (log2 N) of a passphrase file, else None."""
        if not self.is_passphrase:
            return None
        return int(self.stanzas[0].args[1])


def parse_header(data: bytes, *, max_scrypt_log_n: int = MAX_SCRYPT_LOG_N) -> AgeHeader:
    """Parse and check the age v1 header at the start of ``data``; raise ``IntegrityError``.

    Only the header is read; the payload after ``header_end`` is left to the decryptor, which
    authenticates it chunk by chunk. ``max_scrypt_log_n`` is for the writer's self-check only
    (it reads its own fresh output with a wider cap to report the work factor it chose); a reader
    keeps the default.
    """
    if not isinstance(data, bytes):
        raise TypeError("parse_header takes bytes")
    if not data.startswith(VERSION_PREFIX):
        if data[:1024].lstrip(b" \t\r\n").startswith(ARMOR_MARKER):
            raise _bad("armored (PEM) age files are refused: Kith backups are binary")
        raise _bad("not an age file")
    lines = _Lines(data)
    if lines.next(MAX_ARG_LINE_BYTES) != VERSION_LINE:
        raise _bad("unsupported age version (only age-encryption.org/v1 is read)")

    stanzas: list[Stanza] = []
    while True:
        line = lines.next(MAX_ARG_LINE_BYTES)
        if line.startswith(MAC_PREFIX[:3]):
            mac = _parse_mac_line(line)
            break
        if not line.startswith(STANZA_PREFIX):
            raise _bad("a header line is neither a stanza ('-> ') nor the MAC ('--- ')")
        if len(stanzas) == MAX_STANZAS:
            raise _bad(f"more than {MAX_STANZAS} recipient stanzas")
        stanzas.append(_parse_stanza(line, lines, max_scrypt_log_n))

    if not stanzas:
        raise _bad("no recipient stanza")
    if len(stanzas) > 1 and any(s.type == SCRYPT_TYPE for s in stanzas):
        raise _bad("an scrypt stanza must be the only stanza in the header")
    return AgeHeader(stanzas=tuple(stanzas), mac=mac, header_end=lines.pos)


class _Lines:
    """LF-terminated lines from the start of ``data``, never reading past the header cap."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def next(self, max_len: int) -> bytes:
        """The next line without its LF; at most ``max_len`` bytes and inside the header cap."""
        limit = min(self.pos + max_len + 1, MAX_HEADER_BYTES, len(self.data))
        end = self.data.find(b"\n", self.pos, limit)
        if end < 0:
            if limit >= MAX_HEADER_BYTES:
                raise _bad(f"header longer than {MAX_HEADER_BYTES} bytes")
            if limit == len(self.data):
                raise _bad("header truncated")
            raise _bad(f"header line longer than {max_len} bytes")
        line = self.data[self.pos : end]
        self.pos = end + 1
        return line


def _parse_stanza(arg_line: bytes, lines: _Lines, max_scrypt_log_n: int) -> Stanza:
    raw_args = arg_line[len(STANZA_PREFIX) :].split(b" ")
    for arg in raw_args:
        if not arg or not _VCHAR.issuperset(arg):
            raise _bad("a stanza argument is empty or not printable ASCII")
    args = [a.decode("ascii") for a in raw_args]

    body_b64 = bytearray()
    while True:
        line = lines.next(BODY_COLUMNS)  # a longer line is refused there
        if line.startswith((STANZA_PREFIX[:2], MAC_PREFIX[:3])):
            raise _bad("a stanza body does not end with a short line (it may be empty)")
        if not _B64_CHARS.issuperset(line):
            raise _bad("a stanza body line is not unpadded base64")
        body_b64 += line
        if len(line) < BODY_COLUMNS:
            break
    stanza = Stanza(args[0], tuple(args[1:]), _b64decode(bytes(body_b64), "stanza body"))

    if stanza.type == X25519_TYPE:
        _check_x25519(stanza)
    elif stanza.type == SCRYPT_TYPE:
        _check_scrypt(stanza, max_scrypt_log_n)
    return stanza


def _check_x25519(stanza: Stanza) -> None:
    """Spec: exactly one argument after the type, a canonical 32-byte share; a 32-byte body."""
    if len(stanza.args) != 1:
        raise _bad("an X25519 stanza must have exactly one argument after its type")
    if len(_b64decode(stanza.args[0].encode("ascii"), "X25519 share")) != X25519_SHARE_BYTES:
        raise _bad("an X25519 share is not 32 bytes")
    if len(stanza.body) != WRAPPED_FILE_KEY_BYTES:
        raise _bad("an X25519 stanza body is not 32 bytes")


def _check_scrypt(stanza: Stanza, max_log_n: int) -> None:
    """Spec: a canonical 16-byte salt, a decimal work factor without leading zero; a 32-byte body.

    The work factor is capped (see the module docstring) before any scrypt runs.
    """
    if len(stanza.args) != 2:
        raise _bad("an scrypt stanza must have exactly a salt and a work factor")
    salt, work_factor = stanza.args
    if len(_b64decode(salt.encode("ascii"), "scrypt salt")) != SCRYPT_SALT_BYTES:
        raise _bad("an scrypt salt is not 16 bytes")
    if not _WORK_FACTOR.fullmatch(work_factor):
        raise _bad("an scrypt work factor is not a decimal number without leading zeros")
    if len(work_factor) > 2 or int(work_factor) > max_log_n:
        raise _bad(f"the scrypt work factor is above the cap of log2 N = {max_log_n}")
    if len(stanza.body) != WRAPPED_FILE_KEY_BYTES:
        raise _bad("an scrypt stanza body is not 32 bytes")


def _parse_mac_line(line: bytes) -> bytes:
    """Spec: ``"--- " 43base64char``, nothing before the LF: 32 bytes, canonical."""
    encoded = line[len(MAC_PREFIX) :]
    if not line.startswith(MAC_PREFIX) or len(encoded) != 43 or not _B64_CHARS.issuperset(encoded):
        raise _bad("the MAC line is not '--- ' and 43 base64 characters")
    return _b64decode(encoded, "header MAC")


def _b64decode(encoded: bytes, what: str) -> bytes:
    """Decode canonical, unpadded standard base64 (RFC 4648 section 3.5); else raise.

    Canonical: the unused low bits of the last character are zero, so re-encoding the decoded
    bytes gives back the same text. ``=`` is outside the accepted alphabet.
    """
    if not _B64_CHARS.issuperset(encoded) or len(encoded) % 4 == 1:
        raise _bad(f"{what} is not unpadded base64")
    decoded = base64.b64decode(encoded + b"=" * (-len(encoded) % 4), validate=True)
    if base64.b64encode(decoded).rstrip(b"=") != encoded:
        raise _bad(f"{what} is not canonical base64")
    return decoded


def _bad(detail: str) -> IntegrityError:
    return IntegrityError(f"age header: {detail}.")
