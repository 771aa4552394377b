"""Segments: key boundaries. Every vault has one private segment whose only member is its owner.

Each segment has an id, a kind (``private`` or ``shared``), a sealed name, and a key per epoch
(``vault/keyring.py``). Private and shared data follow one code path: a contact in the private
segment is sealed exactly as one in a shared segment.
"""

from __future__ import annotations

import os
import time

from vault.crypto import aead
from vault.errors import IntegrityError
from vault.keyring import Keyring
from vault.store import Store

SEGMENT_ID_BYTES = 16
NAME_PURPOSE = "kith/segment-name/1"
PRIVATE = "private"


def create(store: Store, keyring: Keyring, name: str, kind: str) -> bytes:
    """Create a segment with a fresh key at epoch 0; returns its id."""
    segment_id = os.urandom(SEGMENT_ID_BYTES)
    key = aead.random_key()
    with store.transaction():
        store.execute(
            "INSERT INTO segments (id, kind, name_sealed, current_epoch, created) VALUES (?,?,?,?,?)",
            (
                segment_id,
                kind,
                keyring.seal_local(NAME_PURPOSE, segment_id, name.encode()),
                0,
                int(time.time()),
            ),
        )
        store.execute(
            "INSERT INTO segment_keys (segment_id, epoch, wrapped_key) VALUES (?,?,?)",
            (segment_id, 0, keyring.wrap_segment_key(segment_id, 0, key)),
        )
    return segment_id


def private_id(store: Store) -> bytes:
    """The id of this vault's private segment."""
    row = store.one("SELECT id FROM segments WHERE kind = 'private'")
    if row is None:
        raise IntegrityError("(the private segment is missing)")
    return bytes(row[0])


def names(store: Store, keyring: Keyring) -> dict[bytes, str]:
    """Names of the shared segments by id (the private segment is not listed)."""
    return {
        bytes(segment_id): keyring.open_local(NAME_PURPOSE, bytes(segment_id), sealed).decode()
        for segment_id, sealed in store.execute(
            "SELECT id, name_sealed FROM segments WHERE kind = 'shared'"
        )
    }
