"""age v1 encryption for backups: the only module that imports ``pyrage``.

Two modes (DESIGN.md section 7): X25519 recipients (a recovery key on paper, a co-organizer's
key) or one generated passphrase (an scrypt stanza). Files are binary, never armored, so the stock
``age`` tool can check or restore them.

Rules:

- Every decrypt runs ``vault.crypto.agefile.parse_header`` first, before any key or passphrase:
  pyrage alone accepts headers the spec says MUST be rejected, and would run scrypt at any work
  factor a file asks for.
- X25519 files are written by pyrage. Passphrase files are written here, with ``cryptography``
  primitives, exactly per the C2SP age spec (one scrypt stanza, the header MAC, the STREAM
  payload), at a FIXED work factor of log2 N = 18. Reason: pyrage picks the work factor by timing
  the machine (19 to 21 on a fast one), which collides with the reader's cap of 20; 18 is age's
  own default, about one second and 256 MiB here, and what ``age -p`` writes.
- Every encrypt reads its own output back through the strict reader (the passphrase writer
  decrypts it with pyrage), so Kith never writes a backup it could not read.
- Every pyrage exception is mapped here to ``vault.errors``: a file no given key or passphrase
  opens is ``NoMatchingKey``; any other damage is ``IntegrityError``; a malformed key or
  recipient string is ``InvalidInput``, whose detail names its position, never its text; a work
  factor rage will not attempt on this machine is a plain ``KithError``. An exception raised by
  the caller's own source or sink (a full disk, a tar member out of place) passes through as
  itself, never disguised as damage.
- ``decrypt_with_identities`` and ``decrypt_with_passphrase`` return the whole plaintext or
  raise. The streaming ``decrypt_stream_with_identities`` releases each 64 KiB chunk once its tag
  verified, and raises at the end if the file was truncated: callers write only into a scratch
  place they remove on failure.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from typing import Any, Protocol

import pyrage
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import ChaCha20Poly1305
from cryptography.hazmat.primitives.hmac import HMAC
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from vault.crypto.agefile import (
    BODY_COLUMNS,
    MAX_HEADER_BYTES,
    MAX_SCRYPT_LOG_N,
    MAX_STANZAS,
    VERSION_LINE,
    AgeHeader,
    parse_header,
)
from vault.errors import IntegrityError, InvalidInput, KithError, NoMatchingKey

# The passphrase writer's constants, each from the spec (c2sp.org/age) unless said otherwise.
SCRYPT_LOG_N = 18  # Kith's choice: age's default, inside the reader's cap (module docstring)
FILE_KEY_BYTES = 16
SCRYPT_SALT_BYTES = 16
PAYLOAD_NONCE_BYTES = 16
CHUNK_BYTES = 64 * 1024
_SCRYPT_LABEL = b"age-encryption.org/v1/scrypt"
_ZERO_NONCE = bytes(12)  # stanza bodies: each wrap key is used once

# pyrage's messages for "no stanza opened with what you gave": the X25519 path says the first,
# the scrypt path (wrong passphrase, or a tampered stanza: indistinguishable by design) the second.
# Any other DecryptError is damage. If a pyrage release rewords them, the error degrades to the
# parent class IntegrityError, never to success.
_NO_MATCH_MESSAGES = frozenset({"No matching keys found", "Decryption failed"})

# rage also refuses an scrypt work factor more than 4 above what this machine does in about a
# second. A backup within Kith's cap (2^20) can meet that on a slow machine: not damage.
_EXCESSIVE_WORK = "Excessive work"


class Source(Protocol):
    """Where plaintext or ciphertext is read from (a file opened ``rb``, ``io.BytesIO``...)."""

    def read(self, size: int = -1, /) -> bytes: ...


class Sink(Protocol):
    """Where output is written (a file opened ``wb``, a hashing or parsing sink...)."""

    def write(self, data: bytes, /) -> Any: ...


# --- keys ----------------------------------------------------------------------------------------


def generate_identity() -> tuple[str, str]:
    """A new X25519 identity and its recipient: ``("AGE-SECRET-KEY-1...", "age1...")``."""
    identity = pyrage.x25519.Identity.generate()
    return str(identity), str(identity.to_public())


def recipient_of(identity: str) -> str:
    """The ``age1...`` recipient of an ``AGE-SECRET-KEY-1...`` identity."""
    return str(_parse_identities([identity])[0].to_public())


def check_recipient(recipient: str) -> str:
    """``recipient`` stripped, or ``InvalidInput`` unless it is an age X25519 recipient."""
    _parse_recipients([recipient])
    return recipient.strip()


# --- X25519 recipients (pyrage) ------------------------------------------------------------------


def encrypt_to_recipients(plaintext: bytes, recipients: Sequence[str]) -> bytes:
    """Encrypt to one or more X25519 recipients (``age1...``); any of them can decrypt."""
    out = io.BytesIO()
    encrypt_stream_to_recipients(io.BytesIO(plaintext), out, recipients)
    data = out.getvalue()
    if parse_header(data).is_passphrase:  # pragma: no cover - a pyrage bug, not an input
        raise IntegrityError("age wrote a passphrase header for a recipient backup.")
    return data


def encrypt_stream_to_recipients(source: Source, sink: Sink, recipients: Sequence[str]) -> None:
    """Stream ``source`` to ``sink`` as an age file for X25519 ``recipients``.

    The caller reads the header it wrote back through ``parse_header`` (the sink may be a file).
    """
    parsed = _parse_recipients(recipients)
    guarded_source, guarded_sink = _Guarded(source), _Guarded(sink)
    try:
        pyrage.encrypt_io(guarded_source, guarded_sink, parsed)
    except Exception as exc:
        for guard in (guarded_source, guarded_sink):
            guard.reraise()
        raise KithError("Age could not encrypt to those recipients.") from exc


def decrypt_with_identities(data: bytes, identities: Sequence[str]) -> bytes:
    """Decrypt a recipient backup with any of ``identities`` (``AGE-SECRET-KEY-1...``)."""
    out = io.BytesIO()
    decrypt_stream_with_identities(io.BytesIO(data), out, identities)
    return out.getvalue()


def decrypt_stream_with_identities(source: Source, sink: Sink, identities: Sequence[str]) -> None:
    """Check the header strictly, then stream the plaintext to ``sink`` chunk by chunk.

    Each chunk reaches ``sink`` only after its tag verified; a truncated or damaged file raises
    ``IntegrityError`` after the chunks before the damage were written (see the module rules).
    """
    if isinstance(identities, str):
        raise TypeError("identities is a sequence of strings, not one string")
    head = _read_head(source)
    header = parse_header(head)
    parsed = _parse_identities(identities)
    if header.is_passphrase:
        raise NoMatchingKey("It is protected by a passphrase, not a key.")
    guarded_source, guarded_sink = _Guarded(_Prefixed(head, source)), _Guarded(sink)
    try:
        pyrage.decrypt_io(guarded_source, guarded_sink, parsed)
    except Exception as exc:
        for guard in (guarded_source, guarded_sink):
            guard.reraise()
        raise _map_decrypt_error(exc, header) from exc


# --- passphrases (written here, read by pyrage) --------------------------------------------------


def encrypt_with_passphrase(plaintext: bytes, passphrase: str) -> bytes:
    """Encrypt with a passphrase (one scrypt stanza at log2 N = ``SCRYPT_LOG_N``).

    The file is decrypted again with pyrage before it is returned: what Kith writes, the strict
    reader (and so ``age -d``) opens.
    """
    out = io.BytesIO()
    encrypt_stream_with_passphrase(io.BytesIO(plaintext), out, passphrase)
    data = out.getvalue()
    if decrypt_with_passphrase(data, passphrase) != plaintext:  # pragma: no cover - a Kith bug
        raise IntegrityError("The passphrase backup did not read back.")
    return data


def encrypt_stream_with_passphrase(
    source: Source, sink: Sink, passphrase: str, *, log_n: int = SCRYPT_LOG_N
) -> None:
    """Write an age v1 passphrase file: header, MAC, then the STREAM payload of ``source``.

    The caller reads the file back with ``decrypt_with_passphrase`` (``encrypt_with_passphrase``
    does it for bytes). ``log_n`` exists for tests; production keeps the default.
    """
    if not passphrase:
        raise InvalidInput("The passphrase is empty.")
    if not 1 <= log_n <= MAX_SCRYPT_LOG_N:
        raise ValueError(f"log_n must be 1..{MAX_SCRYPT_LOG_N}")
    file_key = os.urandom(FILE_KEY_BYTES)
    salt = os.urandom(SCRYPT_SALT_BYTES)
    wrap_key = Scrypt(salt=_SCRYPT_LABEL + salt, length=32, n=1 << log_n, r=8, p=1).derive(
        passphrase.encode("utf-8")
    )
    body = ChaCha20Poly1305(wrap_key).encrypt(_ZERO_NONCE, file_key, None)
    lines = [VERSION_LINE, b"-> scrypt " + _b64(salt) + b" %d" % log_n, *_body_lines(body)]
    # The MAC covers the header up to and including "---", not the space after it.
    header = b"\n".join(lines) + b"\n---"
    mac = HMAC(_hkdf(file_key, b"", b"header"), hashes.SHA256())
    mac.update(header)
    sink.write(header + b" " + _b64(mac.finalize()) + b"\n")
    _stream_encrypt(file_key, source, sink)


def decrypt_with_passphrase(data: bytes, passphrase: str) -> bytes:
    """Decrypt a passphrase backup. The work factor was capped by ``parse_header`` first."""
    header = parse_header(data)
    if not header.is_passphrase:
        raise NoMatchingKey("It is encrypted to keys, not to a passphrase.")
    try:
        out: bytes = pyrage.passphrase.decrypt(data, passphrase)
    except pyrage.DecryptError as exc:
        raise _map_decrypt_error(exc, header) from exc
    return out


def _stream_encrypt(file_key: bytes, source: Source, sink: Sink) -> None:
    """The STREAM payload: nonce, then 64 KiB chunks, the final one flagged (spec, "Payload").

    Chunk nonce = 11-byte big-endian counter || 0x01 for the final chunk, else 0x00. The final
    chunk is short, or full when the plaintext is a multiple of 64 KiB; it is empty only when
    the whole plaintext is (spec: MUST NOT be empty otherwise).
    """
    nonce = os.urandom(PAYLOAD_NONCE_BYTES)
    aead = ChaCha20Poly1305(_hkdf(file_key, nonce, b"payload"))
    sink.write(nonce)
    counter = 0
    chunk = _read_full(source, CHUNK_BYTES)
    while True:
        following = _read_full(source, CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
        final = not following
        chunk_nonce = counter.to_bytes(11, "big") + (b"\x01" if final else b"\x00")
        sink.write(aead.encrypt(chunk_nonce, chunk, None))
        if final:
            return
        chunk, counter = following, counter + 1


def _body_lines(body: bytes) -> list[bytes]:
    """A stanza body as 64-column base64 lines ended by a shorter (possibly empty) line."""
    encoded = _b64(body)
    lines = [encoded[i : i + BODY_COLUMNS] for i in range(0, len(encoded), BODY_COLUMNS)]
    if not lines or len(lines[-1]) == BODY_COLUMNS:
        lines.append(b"")
    return lines


def _hkdf(ikm: bytes, salt: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt or None, info=info).derive(ikm)


def _b64(raw: bytes) -> bytes:
    return base64.b64encode(raw).rstrip(b"=")


def _read_full(source: Source, size: int) -> bytes:
    """Exactly ``size`` bytes, or fewer only at the end of ``source``."""
    parts, got = [], 0
    while got < size:
        part = source.read(size - got)
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _read_head(source: Source) -> bytes:
    """The first bytes of a file, as many as a header may take (plus the MAC line's LF)."""
    return _read_full(source, MAX_HEADER_BYTES)


class _Prefixed:
    """``head`` then the rest of ``source``: the header was read once, to be checked first."""

    def __init__(self, head: bytes, source: Source) -> None:
        self._head = memoryview(head)
        self._source = source

    def read(self, size: int = -1) -> bytes:
        if self._head:
            take = len(self._head) if size < 0 else min(size, len(self._head))
            out = bytes(self._head[:take])
            self._head = self._head[take:]
            return out
        return self._source.read(size)


class _Guarded:
    """A source or sink that remembers the first exception its own I/O raised.

    pyrage wraps a reader's exception into ``DecryptError`` and a writer's into ``OSError``;
    without this, a full disk or a parser's refusal would be reported as a damaged backup.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self._error: BaseException | None = None

    def read(self, size: int = -1) -> bytes:
        try:
            data: bytes = self._inner.read(size)
        except BaseException as exc:
            self._error = self._error or exc
            raise
        return data

    def write(self, data: bytes) -> int:
        try:
            self._inner.write(data)
        except BaseException as exc:
            self._error = self._error or exc
            raise
        return len(data)

    def flush(self) -> None:
        flush = getattr(self._inner, "flush", None)
        if flush is not None:
            flush()

    def reraise(self) -> None:
        """Raise the remembered exception, if any."""
        if self._error is not None:
            raise self._error


# --- parsing keys and mapping errors -------------------------------------------------------------


def _parse_recipients(recipients: Sequence[str]) -> list[Any]:
    if isinstance(recipients, str):
        raise TypeError("recipients is a sequence of strings, not one string")
    if not recipients:
        raise InvalidInput("Give at least one recipient (age1...).")
    if len(recipients) > MAX_STANZAS:
        raise InvalidInput(f"A backup can have at most {MAX_STANZAS} recipients.")
    parsed: list[Any] = []
    for position, recipient in enumerate(recipients, start=1):
        try:
            parsed.append(pyrage.x25519.Recipient.from_str(recipient.strip()))
        except pyrage.RecipientError:
            raise InvalidInput(
                f"Recipient {position} is not an age X25519 recipient (age1...)."
            ) from None
    return parsed


def _parse_identities(identities: Sequence[str]) -> list[Any]:
    if not identities:
        raise InvalidInput("Give at least one identity (AGE-SECRET-KEY-1...).")
    parsed: list[Any] = []
    for position, identity in enumerate(identities, start=1):
        try:
            parsed.append(pyrage.x25519.Identity.from_str(identity.strip()))
        except pyrage.IdentityError:
            # `from None`: pyrage's message could quote the key text.
            raise InvalidInput(
                f"Identity {position} is not an age X25519 identity (AGE-SECRET-KEY-1...)."
            ) from None
    return parsed


def _map_decrypt_error(exc: Exception, header: AgeHeader) -> KithError:
    """pyrage's DecryptError (or the stream's OSError) as a Kith error; matched, never shown."""
    if str(exc).startswith(_EXCESSIVE_WORK):
        return KithError(
            "This machine's age library refuses the backup's scrypt work factor as too slow"
            " here; restore it on a faster machine or with the age tool."
        )
    if str(exc) in _NO_MATCH_MESSAGES:
        if header.is_passphrase:
            return NoMatchingKey("Wrong passphrase, or the backup was tampered with.")
        return NoMatchingKey()
    if str(exc).startswith("Header"):
        return IntegrityError("The backup header failed verification.")
    return IntegrityError("The backup payload is damaged, truncated or was tampered with.")
