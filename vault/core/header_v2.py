"""The format-2 vault header: the wrapped VMK and the key-tree state, written in place.

Layout of ``vault.hdr`` (and its copy ``vault.hdr.bak``), 4096 bytes, big-endian::

    offset size  field
    0      8     magic "KITHVLT\\x00"
    8      2     format version (2)
    10     1     KDF id (1 = Argon2id)
    11     12    Argon2 memory KiB, passes, lanes (3 x 4 bytes)
    23     16    salt
    39     16    vault id
    55     1     AEAD suite (1 = XChaCha20-Poly1305)
    56     24    VMK wrap nonce
    80     48    XChaCha20-Poly1305(KEK, VMK), AD = enc("kith/header/2", bytes 0..55)
    128    24    state nonce
    152    96    XChaCha20-Poly1305(HSK, state (80 bytes)), AD = enc("kith/header-state/2", 0..127)
    248    3848  zero

    KEK = Argon2id(passphrase, salt, m, t, p)        HSK = HKDF(VMK, "kith/header-state", id)
    state = lo (8) | hi (8) | root_lo (32) | root_hi (32)

Rules and reasons:
- The state names the database counters this header accepts (``lo``..``hi``, at most two
  apart by one) and the key-tree root for each. ``lo == hi`` at rest; ``hi = lo + 1`` only while a
  write commits (see ``vault/core/commit_guard.py``), so a crash at any instant leaves a header that
  opens the database whichever side of its commit it landed on.
- Written IN PLACE (open, pwrite at 0, fsync), never by rename: a rename leaves the old
  header's blocks free and unwritten, holding a root that a delete meant to destroy. Both copies
  are written, primary first; each write is one 4096-byte pwrite, and a torn write fails its AEAD
  and the other copy is used.
- The state is sealed under a key derived from the VMK and its AD covers bytes 0..127, so a
  state cannot be moved under another passphrase wrap, and changing it needs the VMK.
- Parsing is strict (exact size, magic, version, KDF, suite, zero tail, parameter bounds) and
  happens before Argon2 runs; every failure is ``CannotUnlock``.
- The state opens only with the VMK, so only the right passphrase ever reaches it: a state no
  copy can open is damage (``IntegrityError``, exit 6, after the same one Argon2id run), and a
  wrong passphrase never learns anything about it (``tests/vault/core/test_unlock_cost.py``).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, replace
from pathlib import Path

from vault.core.files import fsync_directory
from vault.core.header import (
    BACKUP_NAME,
    HEADER_NAME,
    HEADER_SIZE,
    ID_BYTES,
    KDF_ARGON2ID,
    MAGIC,
    parse_fixed,
)
from vault.crypto import aead, kdf
from vault.encoding import enc
from vault.errors import CannotUnlock, IntegrityError

FORMAT_VERSION = 2
SIZE = HEADER_SIZE  # 4096, as in format 1
_FIXED = struct.Struct(">8sHBIII16s16sB")  # bytes 0..55, as in format 1
_WRAP_AT = _FIXED.size  # 56
_WRAPPED_AT = _WRAP_AT + aead.NONCE_BYTES  # 80
_STATE_AT = _WRAPPED_AT + 32 + aead.TAG_BYTES  # 128
_SEALED_STATE_AT = _STATE_AT + aead.NONCE_BYTES  # 152
_STATE = struct.Struct(">QQ32s32s")  # 80 bytes
_END = _SEALED_STATE_AT + _STATE.size + aead.TAG_BYTES  # 248
MAX_COUNTER = (1 << 63) - 1


@dataclass(frozen=True)
class KeyState:
    """Which database counters the header accepts, and the key-tree root for each."""

    lo: int
    hi: int
    root_lo: bytes
    root_hi: bytes

    @classmethod
    def final(cls, counter: int, root: bytes) -> KeyState:
        """The state at rest: exactly one counter, one root."""
        return cls(counter, counter, root, root)

    def root_for(self, counter: int) -> bytes | None:
        """The root for a database at ``counter``, or None if this header does not accept it."""
        if counter == self.hi:
            return self.root_hi
        if counter == self.lo:
            return self.root_lo
        return None

    def to_bytes(self) -> bytes:
        return _STATE.pack(self.lo, self.hi, self.root_lo, self.root_hi)


@dataclass(frozen=True)
class Header:
    """A parsed format-2 header: public parameters, the wrapped VMK and the sealed state."""

    params: kdf.KdfParams
    salt: bytes
    vault_id: bytes
    nonce: bytes
    wrapped_vmk: bytes
    state_nonce: bytes = b"\x00" * aead.NONCE_BYTES
    sealed_state: bytes = b"\x00" * (_STATE.size + aead.TAG_BYTES)
    version: int = FORMAT_VERSION

    def fixed_bytes(self) -> bytes:
        """Bytes 0..55, the associated data of the VMK wrap."""
        return _FIXED.pack(
            MAGIC,
            FORMAT_VERSION,
            KDF_ARGON2ID,
            self.params.memory_kib,
            self.params.time_cost,
            self.params.parallelism,
            self.salt,
            self.vault_id,
            aead.SUITE_XCHACHA20_POLY1305,
        )

    def wrap_bytes(self) -> bytes:
        """Bytes 0..127: everything the state's AD covers."""
        return self.fixed_bytes() + self.nonce + self.wrapped_vmk

    def to_bytes(self) -> bytes:
        """The 4096 bytes on disk."""
        body = self.wrap_bytes() + self.state_nonce + self.sealed_state
        return body + b"\x00" * (HEADER_SIZE - len(body))


def parse(data: bytes) -> Header:
    """Strictly parse 4096 bytes of a format-2 header; anything unexpected is ``CannotUnlock``."""
    if len(data) != HEADER_SIZE or any(data[_END:]):
        raise CannotUnlock
    params, salt, vault_id = parse_fixed(data, FORMAT_VERSION)
    return Header(
        params=params,
        salt=salt,
        vault_id=vault_id,
        nonce=data[_WRAP_AT:_WRAPPED_AT],
        wrapped_vmk=data[_WRAPPED_AT:_STATE_AT],
        state_nonce=data[_STATE_AT:_SEALED_STATE_AT],
        sealed_state=data[_SEALED_STATE_AT:_END],
    )


def version_of(data: bytes) -> int:
    """The format version a header claims (0 if it is not a Kith header at all)."""
    if len(data) < 10 or data[:8] != MAGIC:
        return 0
    return int.from_bytes(data[8:10], "big")


def wrap(
    vmk: bytes,
    kek: bytes,
    params: kdf.KdfParams,
    salt: bytes,
    vault_id: bytes,
    *,
    nonce: bytes | None = None,
) -> Header:
    """A header (without state yet) holding ``vmk`` wrapped under ``kek``.

    ``nonce`` exists only for golden-vector tests.
    """
    if len(vmk) != 32 or len(vault_id) != ID_BYTES or len(salt) != kdf.SALT_BYTES:
        raise ValueError("bad key, id or salt size")
    nonce = os.urandom(aead.NONCE_BYTES) if nonce is None else nonce
    draft = Header(params, salt, vault_id, nonce, b"")
    wrapped = aead.raw_xchacha_encrypt(kek, nonce, vmk, _wrap_ad(draft))
    return replace(draft, wrapped_vmk=wrapped)


def unwrap(hdr: Header, kek: bytes) -> bytes:
    """The VMK, or ``CannotUnlock`` (wrong passphrase and damage are one answer)."""
    try:
        return aead.raw_xchacha_decrypt(kek, hdr.nonce, hdr.wrapped_vmk, _wrap_ad(hdr))
    except IntegrityError:
        raise CannotUnlock from None


def state_key(vmk: bytes, vault_id: bytes) -> bytes:
    """HSK: the key that seals the header's state."""
    return kdf.hkdf_sha256(vmk, "kith/header-state", vault_id)


def with_state(
    hdr: Header, hsk: bytes, state: KeyState, *, nonce: bytes | None = None
) -> Header:
    """``hdr`` with ``state`` sealed under ``hsk`` (fresh nonce; ``nonce`` for golden tests)."""
    if not (0 <= state.lo <= state.hi <= MAX_COUNTER and state.hi - state.lo <= 1):
        raise ValueError("bad counters")
    nonce = os.urandom(aead.NONCE_BYTES) if nonce is None else nonce
    sealed = aead.raw_xchacha_encrypt(hsk, nonce, state.to_bytes(), _state_ad(hdr))
    return replace(hdr, state_nonce=nonce, sealed_state=sealed)


def open_state(hdr: Header, hsk: bytes) -> KeyState:
    """The header's state; damage is ``IntegrityError``."""
    plain = aead.raw_xchacha_decrypt(hsk, hdr.state_nonce, hdr.sealed_state, _state_ad(hdr))
    lo, hi, root_lo, root_hi = _STATE.unpack(plain)
    if not (lo <= hi <= MAX_COUNTER and hi - lo <= 1):
        raise IntegrityError("(the vault header)")
    return KeyState(lo, hi, root_lo, root_hi)


def _wrap_ad(hdr: Header) -> bytes:
    return enc("kith/header/2", hdr.fixed_bytes())


def _state_ad(hdr: Header) -> bytes:
    return enc("kith/header-state/2", hdr.wrap_bytes())


# -- writing in place -----------------------------------------------------------------------------


def write_copy_in_place(path: Path, data: bytes) -> None:
    """Overwrite ``path``'s first 4096 bytes in place and fsync (created 0600 if missing).

    The file keeps its inode and blocks: what was there before is overwritten, not left in a
    free block as a rename would. A longer file is cut to 4096 bytes.
    """
    if len(data) != HEADER_SIZE:
        raise ValueError("a header is 4096 bytes")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, data, 0)
        if os.fstat(fd).st_size != HEADER_SIZE:
            os.ftruncate(fd, HEADER_SIZE)
        os.fsync(fd)
    finally:
        os.close(fd)
    if created:
        fsync_directory(path.parent)


def write_in_place(directory: Path, hdr: Header, *, names: tuple[str, ...] | None = None) -> None:
    """Write ``hdr`` over both copies in place, primary first (or over ``names`` only)."""
    data = hdr.to_bytes()
    for name in names or (HEADER_NAME, BACKUP_NAME):
        write_copy_in_place(directory / name, data)


def parse_any(data: bytes) -> Header:
    """A header of format 1 or 2, strictly parsed (backups may hold either); format 1 comes
    back as a format-2 ``Header`` without state, for its public fields only."""
    from vault.core import header as header_v1

    if version_of(data) == 1:
        old = header_v1.parse(data)
        return Header(old.params, old.salt, old.vault_id, old.nonce, old.wrapped_vmk, version=1)
    return parse(data)
