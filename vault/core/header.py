"""The format-1 vault header (read for the upgrade to format 2; see ``vault/core/header_v2.py``).

Layout of ``vault.hdr`` (and its copy ``vault.hdr.bak``), 4096 bytes, big-endian::

    offset size  field
    0      8     magic "KITHVLT\\x00"
    8      2     format version (1)
    10     1     KDF id (1 = Argon2id)
    11     4     Argon2 memory, KiB
    15     4     Argon2 passes
    19     4     Argon2 lanes
    23     16    salt
    39     16    vault id
    55     1     AEAD suite (1 = XChaCha20-Poly1305)
    56     24    nonce
    80     48    VMK (32) encrypted + tag (16)
    128    3968  zero

Rules and reasons:
- Bytes 0..55 (everything but the nonce and the wrapped key) are the associated data of the
  wrap, under ``enc("kith/header/1", bytes 0..55)``: a header whose parameters, salt or id were
  changed fails to unwrap, so parameters cannot be downgraded without the passphrase.
- The parameters are bounds-checked before Argon2 runs (``kdf.check_readable``).
- A wrong passphrase and a damaged header raise the same ``CannotUnlock`` after the same
  work (one Argon2id run, ``spend_one_run``): no oracle, by answer or by time. Format 2 shares
  bytes 0..55 with format 1, so the decoy reads both.
- The trailing bytes must be zero: a header is either exactly what Kith wrote or refused.
- Format 1 wrote both copies by temp file and rename; format 2 writes in place and this module
  now only reads format 1 (for the upgrade, ``vault/core/format_migration.py``) and keeps the
  golden vectors' ``wrap``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass

from vault.crypto import aead, kdf
from vault.encoding import enc
from vault.errors import CannotUnlock, IntegrityError

MAGIC = b"KITHVLT\x00"
FORMAT_VERSION = 1
KDF_ARGON2ID = 1
HEADER_SIZE = 4096
HEADER_NAME = "vault.hdr"
BACKUP_NAME = "vault.hdr.bak"
_FIXED = struct.Struct(">8sHBIII16s16sB")  # bytes 0..55
_AD_END = _FIXED.size
_NONCE_END = _AD_END + aead.NONCE_BYTES
_WRAP_END = _NONCE_END + 32 + aead.TAG_BYTES
VMK_BYTES = 32
ID_BYTES = 16


@dataclass(frozen=True)
class Header:
    """A parsed header: public parameters plus the still-wrapped VMK."""

    params: kdf.KdfParams
    salt: bytes
    vault_id: bytes
    nonce: bytes
    wrapped_vmk: bytes
    version: int = FORMAT_VERSION

    def fixed_bytes(self) -> bytes:
        """Bytes 0..55, the associated data of the wrap."""
        return _FIXED.pack(
            MAGIC,
            self.version,
            KDF_ARGON2ID,
            self.params.memory_kib,
            self.params.time_cost,
            self.params.parallelism,
            self.salt,
            self.vault_id,
            aead.SUITE_XCHACHA20_POLY1305,
        )

    def to_bytes(self) -> bytes:
        """The 4096 bytes on disk."""
        body = self.fixed_bytes() + self.nonce + self.wrapped_vmk
        return body + b"\x00" * (HEADER_SIZE - len(body))


def _ad(fixed: bytes) -> bytes:
    return enc("kith/header/1", fixed)


def parse_fixed(data: bytes, version: int) -> tuple[kdf.KdfParams, bytes, bytes]:
    """``(params, salt, vault id)`` from bytes 0..55, the part formats 1 and 2 share: magic,
    ``version``, KDF, Argon2 parameters (bounded here, before Argon2 ever runs), salt, id, suite.
    Anything unexpected is ``CannotUnlock``."""
    magic, found, kdf_id, mem, passes, lanes, salt, vault_id, suite = _FIXED.unpack(
        data[:_AD_END]
    )
    if (
        magic != MAGIC
        or found != version
        or kdf_id != KDF_ARGON2ID
        or suite != aead.SUITE_XCHACHA20_POLY1305
    ):
        raise CannotUnlock
    params = kdf.KdfParams(mem, passes, lanes)
    kdf.check_readable(params)
    return params, salt, vault_id


def parse(data: bytes) -> Header:
    """Strictly parse 4096 header bytes; anything unexpected is ``CannotUnlock``."""
    if len(data) != HEADER_SIZE or any(data[_WRAP_END:]):
        raise CannotUnlock
    params, salt, vault_id = parse_fixed(data, FORMAT_VERSION)
    return Header(
        params=params,
        salt=salt,
        vault_id=vault_id,
        nonce=data[_AD_END:_NONCE_END],
        wrapped_vmk=data[_NONCE_END:_WRAP_END],
    )


def wrap(
    vmk: bytes,
    passphrase: bytes | bytearray,
    params: kdf.KdfParams,
    vault_id: bytes,
    *,
    salt: bytes | None = None,
    nonce: bytes | None = None,
) -> Header:
    """Wrap ``vmk`` under the key Argon2id derives from ``passphrase`` with a fresh salt.

    ``salt`` and ``nonce`` exist only for golden-vector tests.
    """
    salt = os.urandom(kdf.SALT_BYTES) if salt is None else salt
    nonce = os.urandom(aead.NONCE_BYTES) if nonce is None else nonce
    draft = Header(params, salt, vault_id, nonce, b"")
    kek = kdf.argon2id(passphrase, salt, params)
    sealed = aead.seal_exact(kek, vmk, _ad(draft.fixed_bytes()), nonce=nonce)
    return Header(params, salt, vault_id, nonce, sealed[1 + aead.NONCE_BYTES :])


def unwrap(header: Header, passphrase: bytes | bytearray) -> bytes:
    """The VMK, or ``CannotUnlock`` (wrong passphrase and tampering are indistinguishable)."""
    return unwrap_with_kek(header, kdf.argon2id(passphrase, header.salt, header.params))


def unwrap_with_kek(header: Header, kek: bytes) -> bytes:
    """``unwrap`` with the Argon2id output already computed (the format-2 upgrade reuses it)."""
    sealed = bytes([aead.SUITE_XCHACHA20_POLY1305]) + header.nonce + header.wrapped_vmk
    try:
        return aead.open_exact(kek, sealed, _ad(header.fixed_bytes()))
    except IntegrityError:
        raise CannotUnlock from None


# The decoy run when a header's parameters cannot be read or are out of range: where calibration
# starts (DESIGN §3), so it costs about what unlocking a default vault costs on a typical machine.
DECOY_PARAMS = kdf.START
_COST = struct.Struct(">III16s")  # memory, passes, lanes, salt at byte 11


def spend_one_run(data: bytes, passphrase: bytes | bytearray) -> None:
    """Run Argon2id once for a copy that did not parse, and discard the result.

    With the copy's own parameters and salt if they can be read and are in range (so the time
    matches what this vault's unlock costs), else with ``DECOY_PARAMS``: parameters out of range
    are never run (a tampered header must not choose the work).
    """
    params, salt = DECOY_PARAMS, bytes(kdf.SALT_BYTES)
    if len(data) >= 11 + _COST.size:
        mem, passes, lanes, found = _COST.unpack_from(data, 11)
        candidate = kdf.KdfParams(mem, passes, lanes)
        try:
            kdf.check_readable(candidate)
            params, salt = candidate, found
        except CannotUnlock:
            pass
    kdf.argon2id(passphrase, salt, params)
