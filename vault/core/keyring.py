"""Keys derived from the VMK and segment keys held in memory while the vault is unlocked.

    VMK --HKDF("kith/sqlcipher", vault id)--> SQLCipher raw key
    VMK --HKDF("kith/local-wrap", vault id)--> LWK: wraps segment keys (and identity keys)
    SK[s,e]: 32 random bytes per segment s and epoch e, stored wrapped under LWK with
        AD = enc("kith/segment-key/1", vault id, s, e)
    segment names are sealed under LWK with AD = enc("kith/segment-name/1", vault id, s)

Rule: nothing here is ever written unwrapped; ``forget()`` drops every reference on lock.
(Python cannot promise the old bytes are overwritten in memory: see docs/threat-model.md.)
"""

from __future__ import annotations

from vault.crypto import aead, kdf
from vault.encoding import enc
from vault.errors import IntegrityError, VaultLocked


def sqlcipher_key(vmk: bytes, vault_id: bytes) -> bytes:
    """The database key."""
    return kdf.hkdf_sha256(vmk, "kith/sqlcipher", vault_id)


def format1_lwk(vmk: bytes, vault_id: bytes) -> bytes:
    """The local-wrap key as format 1 derived it (format 2 stores it; see ``seal_lwk``)."""
    return kdf.hkdf_sha256(vmk, "kith/local-wrap", vault_id)


def seal_lwk(vmk: bytes, vault_id: bytes, lwk: bytes) -> bytes:
    """The LWK sealed for ``keytree.lwk``: key HKDF(VMK, "kith/lwk-wrap"), AD bound to the id."""
    key = kdf.hkdf_sha256(vmk, "kith/lwk-wrap", vault_id)
    return aead.seal_exact(key, lwk, enc("kith/lwk/2", vault_id))


def open_lwk(vmk: bytes, vault_id: bytes, sealed: bytes) -> bytes:
    """Inverse of ``seal_lwk``."""
    key = kdf.hkdf_sha256(vmk, "kith/lwk-wrap", vault_id)
    return aead.open_exact(key, sealed, enc("kith/lwk/2", vault_id))


class Keyring:
    """The local-wrap key and the unwrapped segment keys of one unlocked vault."""

    def __init__(self, vmk: bytes, vault_id: bytes) -> None:
        self.vault_id = vault_id
        self._lwk: bytes | None = format1_lwk(vmk, vault_id)
        self._segment_keys: dict[tuple[bytes, int], bytes] = {}

    @classmethod
    def from_lwk(cls, lwk: bytes, vault_id: bytes) -> Keyring:
        """A keyring around a stored local-wrap key (format 2 keeps the LWK in the database,
        sealed under the VMK, so that ``passwd`` can rotate the VMK without re-sealing every
        segment key, identity and sync row)."""
        ring = cls.__new__(cls)
        ring.vault_id = vault_id
        ring._lwk = lwk
        ring._segment_keys = {}
        return ring

    @property
    def lwk(self) -> bytes:
        """The local-wrap key."""
        if self._lwk is None:
            raise VaultLocked("(the keyring was forgotten)")
        return self._lwk

    def wrap_segment_key(self, segment_id: bytes, epoch: int, key: bytes) -> bytes:
        """``key`` sealed for storage in ``segment_keys``."""
        self._segment_keys[(segment_id, epoch)] = key
        return aead.seal_exact(
            self.lwk, key, enc("kith/segment-key/1", self.vault_id, segment_id, epoch)
        )

    def load_segment_key(self, segment_id: bytes, epoch: int, wrapped: bytes) -> bytes:
        """Unwrap (once) and remember a stored segment key."""
        cached = self._segment_keys.get((segment_id, epoch))
        if cached is None:
            cached = aead.open_exact(
                self.lwk, wrapped, enc("kith/segment-key/1", self.vault_id, segment_id, epoch)
            )
            self._segment_keys[(segment_id, epoch)] = cached
        return cached

    def segment_key(self, segment_id: bytes, epoch: int) -> bytes | None:
        """A segment key already loaded, if any."""
        return self._segment_keys.get((segment_id, epoch))

    def seal_local(self, purpose: str, context: bytes, plaintext: bytes) -> bytes:
        """Seal a small local secret (a segment name, a setting) under the local-wrap key."""
        return aead.seal(self.lwk, plaintext, enc(purpose, self.vault_id, context))

    def open_local(self, purpose: str, context: bytes, sealed: bytes) -> bytes:
        """Inverse of ``seal_local``."""
        return aead.open_sealed(self.lwk, sealed, enc(purpose, self.vault_id, context))

    def forget(self) -> None:
        """Drop every key reference (lock)."""
        self._lwk = None
        self._segment_keys.clear()

    def check_segment_key(self, segment_id: bytes, epoch: int, wrapped: bytes) -> None:
        """Open a stored segment key afresh (never from the cache): ``kith check`` (issue 12).

        ``IntegrityError`` if it fails to open, or opens to another key than the one in use.
        """
        key = aead.open_exact(
            self.lwk, wrapped, enc("kith/segment-key/1", self.vault_id, segment_id, epoch)
        )
        cached = self._segment_keys.get((segment_id, epoch))
        if cached is not None and cached != key:
            raise IntegrityError("(a segment key changed while the vault was open)")
