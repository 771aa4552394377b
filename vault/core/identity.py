"""This device's identity: one Ed25519 signing key and one X25519 key per vault (DESIGN §6).

    identity = load_or_create(store, keyring)   # generated on first use, then loaded
    identity.signing_public, identity.box_public   # 32 bytes each, safe to show and share
    identity.sign(message) -> 64-byte signature; verify(public, message, signature)
    identity.open_box(sealed) -> plaintext of a crypto_box_seal to box_public

Storage: one row in the ``identity`` table (migration 0004-device-identity) holding the two
32-byte random seeds, sealed under the local-wrap key with
``AD = enc("kith/identity/1", vault id, "device")`` (``Keyring.seal_local``).

Rules and reasons:
- The seeds come from the OS CSPRNG, never from the passphrase or the VMK: a key derived from
  the VMK would change meaning if the VMK were ever rotated, and would tie sync identity to
  backup restore. Two independent seeds, so the signing key and the box key share nothing.
- The private halves exist only inside a ``DeviceIdentity`` (fields hidden from ``repr``), which
  ``Vault.lock`` drops; they are never written unsealed and never leave the vault, except inside
  an encrypted backup of the whole database.
- Creation is lazy and idempotent under concurrency: ``INSERT ... ON CONFLICT DO NOTHING`` then
  read back, so two processes that race both end up with the one stored identity.
- Backups sign their manifest with it (vault/backup/manifest.py); the sync issue reuses it.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field

from vault.core.keyring import Keyring
from vault.core.store import Store
from vault.crypto import keys
from vault.crypto.kdf import hkdf_sha256

PURPOSE = "kith/identity/1"
CONTEXT = b"device"
SEED_BYTES = 32
FINGERPRINT_BYTES = 16


@dataclass(frozen=True)
class DeviceIdentity:
    """Public keys plus the private halves needed to sign and to open sealed boxes."""

    signing_public: bytes
    box_public: bytes
    _signing_secret: bytes = field(repr=False, compare=False)
    _box_secret: bytes = field(repr=False, compare=False)

    @classmethod
    def from_seeds(cls, signing_seed: bytes, box_secret: bytes) -> DeviceIdentity:
        """Derive both key pairs from their 32-byte seeds."""
        if len(signing_seed) != SEED_BYTES or len(box_secret) != SEED_BYTES:
            raise ValueError("identity seeds are 32 bytes each")
        public, secret = keys.ed25519_keypair(signing_seed)
        return cls(public, keys.x25519_public(box_secret), secret, box_secret)

    def sign(self, message: bytes) -> bytes:
        """A 64-byte Ed25519 signature of ``message`` (build it with ``vault.encoding.enc``)."""
        return keys.ed25519_sign(self._signing_secret, message)

    def open_box(self, sealed: bytes) -> bytes:
        """Open a ``crypto_box_seal`` addressed to ``box_public``; failure is IntegrityError."""
        return keys.box_seal_open(self.box_public, self._box_secret, sealed)

    def pair_key(self, their_box_public: bytes, purpose: str, *context: bytes | str | int) -> bytes:
        """A key only this device and the holder of ``their_box_public`` can derive (X25519,
        then HKDF for ``purpose``): pairwise relay mailboxes (``sync/relay_ids.py``)."""
        shared = keys.x25519_shared(self._box_secret, their_box_public)
        return hkdf_sha256(shared, purpose, *context)

    @property
    def fingerprint(self) -> str:
        """The signing key's fingerprint, for people to compare."""
        return fingerprint(self.signing_public)


def verify(signing_public: bytes, message: bytes, signature: bytes) -> None:
    """Raise ``IntegrityError`` unless ``signature`` is ``signing_public``'s over ``message``."""
    keys.ed25519_verify(signing_public, message, signature)


def fingerprint(signing_public: bytes) -> str:
    """SHA-256 of the public key, first 16 bytes, as eight groups of four hex digits.

    128 bits: enough that no one can make a second key with the same fingerprint; short enough
    to read aloud or compare on paper.
    """
    digest = hashlib.sha256(signing_public).hexdigest()[: 2 * FINGERPRINT_BYTES]
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def load_or_create(store: Store, keyring: Keyring) -> DeviceIdentity:
    """The vault's device identity, created (and stored sealed) on first use."""
    row = store.one("SELECT sealed_seeds FROM identity WHERE id = 1")
    if row is None:
        seeds = os.urandom(2 * SEED_BYTES)
        sealed = keyring.seal_local(PURPOSE, CONTEXT, seeds)
        store.execute(
            "INSERT INTO identity (id, sealed_seeds, created) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO NOTHING",
            (sealed, int(time.time())),
        )
        row = store.one("SELECT sealed_seeds FROM identity WHERE id = 1")
        if row is None:  # pragma: no cover - the insert above guarantees a row
            raise RuntimeError("identity row missing after insert")
    seeds = keyring.open_local(PURPOSE, CONTEXT, bytes(row[0]))
    return DeviceIdentity.from_seeds(seeds[:SEED_BYTES], seeds[SEED_BYTES:])
