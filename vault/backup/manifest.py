"""What is inside a Kith backup: a tar of five members, and the signed manifest that lists them.

The age payload of a backup is a POSIX (ustar) tar, members in this order, no directories::

    manifest.json    what the backup holds (below), UTF-8 JSON, under 64 KiB
    manifest.sig     64 bytes: Ed25519 signature of the manifest by the vault's device key
    vault.hdr        4096 bytes, the vault header exactly as on disk
    vault.hdr.bak    4096 bytes, its second copy
    vault.db         a consistent snapshot of the SQLCipher database (ciphertext)

Every member is already ciphertext or public metadata: the backup is a second layer of
encryption over the vault's own, never a plaintext export. The manifest::

    {"format": "kith-backup", "format_version": 1, "vault_id": "<32 hex>",
     "created": <epoch seconds, UTC>, "app_version": "0.1.0",
     "counts": {"contact": 12, ..., "segments": 1},
     "members": [{"name": "vault.hdr", "size": 4096, "sha256": "<64 hex>"}, ...],
     "signer": "<64 hex: Ed25519 public key>"}

Rules and reasons:
- The signature is over ``Manifest.signed_bytes()``, the parsed fields in the length-prefixed
  ``enc`` encoding, never over JSON text (DESIGN §3): two different manifests cannot share
  signed bytes, and JSON spelling (spaces, key order) does not matter.
- The JSON is parsed strictly (exact keys, no duplicates, exact types, bounded sizes, lowercase
  hex): a manifest either is what Kith writes or is refused.
- What the signature proves: the manifest, and through its SHA-256 hashes every member, were
  made by whoever holds the key named in ``signer``. age does not authenticate the sender and
  the key travels in the same file, so on its own this proves integrity, not origin: anyone who
  knows a recipient's public key can build a backup signed by a key of their own. Origin is
  proved only by checking the signer against a key you trust (``kith backup verify
  --check-signer`` compares it with the device key stored inside the vault the backup restores,
  which opens only with your passphrase).
- The tar is read by a strict push parser (``TarReader``), fed by the decryptor chunk by chunk:
  only the five names, in order, each once, regular files only (no links, devices, directories,
  long-name or pax records, so no path can point outside the target), exact sizes for the fixed
  members, the database bounded by the backup's own size, only zeros after the end marker.
  Small members stay in memory; the database streams to a file the caller provides.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from vault.core import identity
from vault.encoding import enc
from vault.errors import BadBackup, IntegrityError

FORMAT = "kith-backup"
FORMAT_VERSION = 1
SIGN_PURPOSE = "kith/backup-manifest/1"
MANIFEST_NAME = "manifest.json"
SIGNATURE_NAME = "manifest.sig"
HEADER_NAME, HEADER_COPY_NAME, DB_NAME = "vault.hdr", "vault.hdr.bak", "vault.db"
STATE_NAMES = (HEADER_NAME, HEADER_COPY_NAME, DB_NAME)
MEMBER_NAMES = (MANIFEST_NAME, SIGNATURE_NAME, *STATE_NAMES)
HEADER_BYTES = 4096
SIGNATURE_BYTES = 64
MAX_MANIFEST_BYTES = 64 * 1024 - 1
MAX_COUNTS = 64
MAX_INT = 2**63 - 1
BLOCK = tarfile.BLOCKSIZE  # 512
RECORD = tarfile.RECORDSIZE  # 10240: tar pads the archive to whole records
MAX_TRAILING_ZEROS = 64 * 1024

_KEYS = {
    "format",
    "format_version",
    "vault_id",
    "created",
    "app_version",
    "counts",
    "members",
    "signer",
}
_MEMBER_KEYS = {"name", "size", "sha256"}
_COUNT_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,32}")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Member:
    """One vault-state member: its name, size in bytes and SHA-256 (hex)."""

    name: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Manifest:
    """A parsed (or about to be signed) manifest."""

    vault_id: str
    created: int
    app_version: str
    counts: tuple[tuple[str, int], ...]
    members: tuple[Member, ...]
    signer: str
    format_version: int = FORMAT_VERSION

    def signed_bytes(self) -> bytes:
        """The exact bytes the signature covers (see the module rules)."""
        return enc(
            SIGN_PURPOSE,
            self.format_version,
            bytes.fromhex(self.vault_id),
            self.created,
            self.app_version,
            enc(*(enc(name, count) for name, count in self.counts)),
            enc(*(enc(m.name, m.size, bytes.fromhex(m.sha256)) for m in self.members)),
            bytes.fromhex(self.signer),
        )

    def to_json(self) -> bytes:
        """The manifest as written into the tar."""
        return json.dumps(self.as_dict(), indent=1).encode("utf-8") + b"\n"

    def as_dict(self) -> dict[str, Any]:
        """The manifest as a JSON-ready dict (also what ``--json`` prints)."""
        return {
            "format": FORMAT,
            "format_version": self.format_version,
            "vault_id": self.vault_id,
            "created": self.created,
            "app_version": self.app_version,
            "counts": dict(self.counts),
            "members": [{"name": m.name, "size": m.size, "sha256": m.sha256} for m in self.members],
            "signer": self.signer,
        }

    def member(self, name: str) -> Member:
        """The member called ``name``."""
        return next(m for m in self.members if m.name == name)

    @property
    def signer_fingerprint(self) -> str:
        """The signer's fingerprint (``vault.core.identity.fingerprint``)."""
        return identity.fingerprint(bytes.fromhex(self.signer))


def parse(data: bytes) -> Manifest:
    """Strictly parse manifest JSON; anything unexpected is ``BadBackup``."""
    try:
        raw = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except (UnicodeDecodeError, ValueError):
        raise _bad("the manifest is not valid JSON") from None
    if not isinstance(raw, dict) or set(raw) != _KEYS:
        raise _bad("the manifest does not have exactly the expected fields")
    if raw["format"] != FORMAT or _int(raw["format_version"]) != FORMAT_VERSION:
        raise _bad("unknown backup format or version")
    counts = raw["counts"]
    if not isinstance(counts, dict) or len(counts) > MAX_COUNTS:
        raise _bad("the manifest counts are malformed")
    members = raw["members"]
    if not isinstance(members, list) or len(members) != len(STATE_NAMES):
        raise _bad("the manifest does not list the vault files")
    parsed_members = tuple(_member(m, name) for m, name in zip(members, STATE_NAMES, strict=True))
    return Manifest(
        vault_id=_text(raw["vault_id"], _HEX32),
        created=_int(raw["created"]),
        app_version=_text(raw["app_version"], _VERSION),
        counts=tuple(sorted((_text(k, _COUNT_NAME), _int(v)) for k, v in counts.items())),
        members=parsed_members,
        signer=_text(raw["signer"], _HEX64),
    )


def verify_signature(manifest: Manifest, signature: bytes) -> None:
    """``BadBackup`` unless ``signature`` is the signer's over the manifest."""
    try:
        identity.verify(bytes.fromhex(manifest.signer), manifest.signed_bytes(), signature)
    except IntegrityError:
        raise _bad("the manifest signature does not verify") from None


def _member(raw: Any, name: str) -> Member:
    if not isinstance(raw, dict) or set(raw) != _MEMBER_KEYS or raw["name"] != name:
        raise _bad("the manifest does not list the vault files in order")
    size = _int(raw["size"])
    if name != DB_NAME and size != HEADER_BYTES:
        raise _bad("a header copy in the manifest is not 4096 bytes")
    return Member(name, size, _text(raw["sha256"], _HEX64))


def _int(value: Any) -> int:
    if type(value) is not int or not 0 <= value <= MAX_INT:
        raise _bad("a manifest number is out of range")
    return value


def _text(value: Any, pattern: re.Pattern[str]) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise _bad("a manifest field is malformed")
    return value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _bad(detail: str) -> BadBackup:
    return BadBackup(detail)


# --- the tar: writing ----------------------------------------------------------------------------


def member_header(name: str, size: int, mtime: int) -> bytes:
    """The 512-byte ustar header of one regular file (mode 0600, owner 0, no user names)."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode, info.type = size, mtime, 0o600, tarfile.REGTYPE
    return info.tobuf(format=tarfile.USTAR_FORMAT, encoding="ascii", errors="strict")


def padding(size: int) -> bytes:
    """Zeros that bring a member's data to a whole 512-byte block."""
    return b"\0" * (-size % BLOCK)


def end_of_archive(length_so_far: int) -> bytes:
    """Two zero blocks, then zeros to a whole 10240-byte record, as tar itself writes."""
    total = length_so_far + 2 * BLOCK
    return b"\0" * (2 * BLOCK + (-total % RECORD))


# --- the tar: reading ----------------------------------------------------------------------------


class ManifestComplete(Exception):
    """Raised by a ``TarReader(stop_after_manifest=True)`` once manifest and signature are read."""


@dataclass
class Contents:
    """What a ``TarReader`` collected."""

    small: dict[str, bytes] = field(default_factory=dict)  # every member except the database
    sizes: dict[str, int] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)


class TarReader:
    """A sink for the decryptor: parses the backup tar strictly as it streams (module rules).

    ``db_file`` receives the database bytes (None: hashed and dropped, for ``verify``);
    ``max_db`` bounds the database size (the caller passes the backup file's size: plaintext is
    never longer than its ciphertext). Every refusal is ``BadBackup``; after the first, the
    reader drops all further input and ``finish`` raises it again.
    """

    def __init__(
        self,
        db_file: BinaryIO | None,
        max_db: int,
        *,
        stop_after_manifest: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.contents = Contents()
        self._db_file, self._max_db = db_file, max_db
        self._stop = stop_after_manifest
        self._progress = progress
        self._buffer = bytearray()
        self._next = 0  # index into MEMBER_NAMES of the member expected next
        self._name: str | None = None  # the member being read
        self._left = 0  # its data bytes still to come
        self._pad = 0  # then padding bytes
        self._hash = hashlib.sha256()
        self._data = bytearray()
        self._zeros = 0  # zero bytes after the last member (-1 until the end marker)
        self._ended = False
        self._error: BadBackup | None = None
        self._seen = 0

    def write(self, data: bytes) -> int:
        """Consume decrypted bytes."""
        if self._error is not None:
            return len(data)
        self._seen += len(data)
        try:
            self._consume(memoryview(data))
        except BadBackup as error:
            self._error = error
            raise
        if self._progress is not None:
            self._progress(self._seen)
        return len(data)

    def finish(self) -> Contents:
        """Check the archive ended properly and return what was read."""
        if self._error is not None:
            raise self._error
        if not self._ended or self._zeros < 2 * BLOCK or self._buffer:
            raise _bad("the backup archive is incomplete")
        return self.contents

    def _consume(self, view: memoryview) -> None:
        while view:
            if self._ended:
                if any(view):
                    raise _bad("data after the end of the backup archive")
                self._zeros += len(view)
                if self._zeros > MAX_TRAILING_ZEROS:
                    raise _bad("too much padding after the end of the backup archive")
                return
            if self._name is None:
                take = min(BLOCK - len(self._buffer), len(view))
                self._buffer += view[:take]
                view = view[take:]
                if len(self._buffer) == BLOCK:
                    block, self._buffer = bytes(self._buffer), bytearray()
                    self._header(block)
                continue
            if self._left:
                take = min(self._left, len(view))
                self._data_bytes(view[:take])
                self._left -= take
                view = view[take:]
                if not self._left:
                    self._member_done()
                continue
            take = min(self._pad, len(view))
            if any(view[:take]):
                raise _bad("non-zero padding in the backup archive")
            self._pad -= take
            view = view[take:]
            if not self._pad:
                self._name = None

    def _header(self, block: bytes) -> None:
        if not any(block):
            if self._next != len(MEMBER_NAMES):
                raise _bad("the backup archive ends before all vault files")
            self._ended, self._zeros = True, BLOCK
            return
        try:
            info = tarfile.TarInfo.frombuf(block, "ascii", "strict")
        except (tarfile.TarError, UnicodeError, ValueError):
            raise _bad("a malformed tar header") from None
        if self._next == len(MEMBER_NAMES) or info.name != MEMBER_NAMES[self._next]:
            raise _bad("an unexpected member in the backup archive")
        if info.type != tarfile.REGTYPE or info.linkname:
            raise _bad("a backup member is not a regular file")
        if not self._size_ok(info.name, info.size):
            raise _bad(f"{info.name} has an impossible size")
        self._next += 1
        self._name, self._left, self._pad = info.name, info.size, -info.size % BLOCK
        self._hash, self._data = hashlib.sha256(), bytearray()
        self.contents.sizes[info.name] = info.size
        if not self._left:
            self._member_done()

    def _size_ok(self, name: str, size: int) -> bool:
        if name == MANIFEST_NAME:
            return 0 < size <= MAX_MANIFEST_BYTES
        if name == SIGNATURE_NAME:
            return size == SIGNATURE_BYTES
        if name == DB_NAME:
            return 0 < size <= self._max_db
        return size == HEADER_BYTES

    def _data_bytes(self, chunk: memoryview) -> None:
        self._hash.update(chunk)
        if self._name != DB_NAME:
            self._data += chunk
        elif self._db_file is not None:
            self._db_file.write(chunk)

    def _member_done(self) -> None:
        name = self._name
        assert name is not None
        self.contents.hashes[name] = self._hash.hexdigest()
        if name != DB_NAME:
            self.contents.small[name] = bytes(self._data)
        if not self._pad:
            self._name = None
        if self._stop and name == SIGNATURE_NAME:
            raise ManifestComplete
