"""Segments: key boundaries. Every vault has one private segment whose only member is its owner.

Each segment has an id, a kind (``private`` or ``shared``), a sealed name, and a key per epoch
(``vault/core/keyring.py``). Private and shared data follow one code path: a contact in the private
segment is sealed exactly as one in a shared segment.

Organizing rules (issue 6) and their reasons:
- Membership *is* a wrapped key: adding a contact to a segment wraps its CDK under the
  segment's current key (``RecordStore.add_to_segment``); removing it deletes that one row.
  There is no separate membership table that could disagree with who can actually decrypt.
- Every contact made on this device stays in the private segment, so leaving or deleting a
  shared segment never loses a contact. A record that is in *no* other segment (it came from a
  peer) is crypto-shredded when its last segment is deleted: unreadable rows are never kept.
- A contact's target record (``vault/domain/targets.py``) follows it in and out of segments: a
  campaign that shares a decision-maker shares where they stand. Interactions, relationships
  and other history stay private unless shared on their own (a later issue).
- Names are sealed under the local-wrap key and compared case-insensitively (NFC, casefold), so
  ``Tenants`` and ``tenants`` cannot both exist. ``private`` is reserved.
- The private segment is never listed, renamed, deleted or given an expiry.
"""

from __future__ import annotations

import os
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from vault.core.keyring import Keyring
from vault.core.records import RecordStore
from vault.core.store import Store
from vault.crypto import aead
from vault.errors import IntegrityError, InvalidInput, NoSuchSegment, SegmentNameTaken

SEGMENT_ID_BYTES = 16
NAME_PURPOSE = "kith/segment-name/1"
PRIVATE = "private"
SHARED = "shared"
MAX_NAME = 64
JOINERS = frozenset("\u200c\u200d")  # ZWNJ and ZWJ: needed by Persian and emoji, cannot reorder
TARGET_ROLE = "target-of"  # the link role of vault/domain/targets.py (kept here to avoid a cycle)


def create(store: Store, keyring: Keyring, name: str, kind: str) -> bytes:
    """Create a segment with a fresh key at epoch 0; returns its id."""
    segment_id = os.urandom(SEGMENT_ID_BYTES)
    key = aead.random_key()
    with store.transaction():
        store.execute(
            "INSERT INTO segments (id, kind, name_sealed, current_epoch, created) "
            "VALUES (?,?,?,?,?)",
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


def check_name(name: str) -> str:
    """A segment name: NFC, stripped, 1 to 64 characters, not ``private``.

    Control and invisible format characters are refused (they could hide or reorder text in a
    list), except the two joiners some scripts and emoji need.
    """
    clean = unicodedata.normalize("NFC", name.strip())
    if not clean or len(clean) > MAX_NAME:
        raise InvalidInput(f"(a segment name is 1 to {MAX_NAME} characters)")
    if any(unicodedata.category(c).startswith("C") and c not in JOINERS for c in clean):
        raise InvalidInput("(a segment name cannot contain control characters)")
    if clean.casefold() == PRIVATE:
        raise InvalidInput("(the name 'private' is reserved)")
    return clean


@dataclass(frozen=True)
class Segment:
    """One shared segment as people see it."""

    id: bytes
    name: str
    kind: str
    epoch: int
    created: int
    expires: int | None
    contacts: int


@dataclass(frozen=True)
class Deletion:
    """What deleting a segment did: records kept (still in another segment) and shredded."""

    kept: int
    shredded: int


class SegmentRepository:
    """Create, rename, delete and fill shared segments."""

    def __init__(self, store: Store, keyring: Keyring, records: RecordStore) -> None:
        self.store = store
        self.keyring = keyring
        self.records = records

    # -- reading -------------------------------------------------------------------------------

    def any_due(self, now: int) -> bool:
        """True if some shared segment has expired at ``now`` (one small query)."""
        row = self.store.one(
            "SELECT 1 FROM segments WHERE kind = 'shared' AND expires IS NOT NULL "
            "AND expires <= ? LIMIT 1",
            (now,),
        )
        return row is not None

    def all(self) -> list[Segment]:
        """Every shared segment, sorted by name."""
        counts: dict[bytes, int] = {
            bytes(sid): int(n)
            for sid, n in self.store.execute(
                "SELECT k.segment_id, count(*) FROM record_keys k JOIN records r "
                "ON r.id = k.record_id WHERE r.type = 'contact' GROUP BY k.segment_id"
            )
        }
        found = [
            Segment(
                bytes(sid),
                self.keyring.open_local(NAME_PURPOSE, bytes(sid), sealed).decode(),
                SHARED,
                int(epoch),
                int(created),
                None if expires is None else int(expires),
                counts.get(bytes(sid), 0),
            )
            for sid, sealed, epoch, created, expires in self.store.execute(
                "SELECT id, name_sealed, current_epoch, created, expires FROM segments "
                "WHERE kind = 'shared'"
            )
        ]
        return sorted(found, key=lambda s: (s.name.casefold(), s.id))

    def find(self, name: str) -> Segment:
        """The shared segment called ``name`` (case-insensitive), or ``NoSuchSegment``."""
        wanted = unicodedata.normalize("NFC", name.strip()).casefold()
        for segment in self.all():
            if segment.name.casefold() == wanted:
                return segment
        raise NoSuchSegment

    def by_id(self, segment_id: bytes) -> Segment:
        """The shared segment with this id, or ``NoSuchSegment``."""
        for segment in self.all():
            if segment.id == segment_id:
                return segment
        raise NoSuchSegment

    def contact_ids(self, segment: Segment) -> list[bytes]:
        """Ids of the contacts in ``segment``."""
        return self.records.in_segment(segment.id, "contact")

    # -- writing -------------------------------------------------------------------------------

    def _check_free(self, name: str, keep: bytes | None = None) -> None:
        if any(s.name.casefold() == name.casefold() and s.id != keep for s in self.all()):
            raise SegmentNameTaken

    def create(self, name: str) -> Segment:
        """A new shared segment with its own key (epoch 0)."""
        clean = check_name(name)
        self._check_free(clean)
        return self.by_id(create(self.store, self.keyring, clean, SHARED))

    def rename(self, segment: Segment, new_name: str) -> Segment:
        """Re-seal the name; the key, epoch and members do not change."""
        clean = check_name(new_name)
        self._check_free(clean, keep=segment.id)
        self.store.execute(
            "UPDATE segments SET name_sealed = ? WHERE id = ? AND kind = 'shared'",
            (self.keyring.seal_local(NAME_PURPOSE, segment.id, clean.encode()), segment.id),
        )
        return self.by_id(segment.id)

    def _with_followers(self, record_ids: Iterable[bytes]) -> list[bytes]:
        out: list[bytes] = []
        for record_id in record_ids:
            out.append(record_id)
            out.extend(self.records.linked_to(record_id, TARGET_ROLE))
        return out

    def add(self, segment: Segment, record_ids: Iterable[bytes]) -> int:
        """Wrap each record's CDK (and its target's) for ``segment``; returns how many were new."""
        ids = list(record_ids)
        with self.store.transaction():
            added = [self.records.add_to_segment(r, segment.id) for r in ids]
            for follower in self._with_followers(ids):
                self.records.add_to_segment(follower, segment.id)
        return sum(added)

    def remove(self, segment: Segment, record_ids: Iterable[bytes]) -> int:
        """Delete each record's key row (and its target's) for ``segment``; returns how many."""
        ids = list(record_ids)
        with self.store.transaction():
            removed = [self.records.remove_from_segment(r, segment.id) for r in ids]
            for follower in self._with_followers(ids):
                if follower not in ids:
                    self.records.remove_from_segment(follower, segment.id)
        return sum(removed)

    def plan_delete(self, segment: Segment) -> tuple[list[bytes], list[bytes]]:
        """(kept, shredded) record ids if ``segment`` were deleted now."""
        kept: list[bytes] = []
        shredded: list[bytes] = []
        for record_id in self.records.in_segment(segment.id):
            others = [s for s in self.records.segments_of(record_id) if s != segment.id]
            (kept if others else shredded).append(record_id)
        return kept, shredded

    def delete(self, segment: Segment, *, vacuum: bool = True) -> Deletion:
        """Destroy the segment's keys and memberships; shred records left in no segment.

        Contacts made here stay in the private segment and are kept; records that were only in
        this segment (from a peer) are crypto-shredded with their dependents.
        """
        kept, shredded = self.plan_delete(segment)
        with self.store.transaction():
            for record_id in kept:
                self.records.remove_from_segment(record_id, segment.id)
            count = self.records.shred(shredded, vacuum=False)
            self.store.execute("DELETE FROM segment_keys WHERE segment_id = ?", (segment.id,))
            # what sync last saw of it: never left to look like "every record was deleted"
            self.store.execute("DELETE FROM sync_seen WHERE segment_id = ?", (segment.id,))
            self.store.execute(
                "DELETE FROM segments WHERE id = ? AND kind = 'shared'", (segment.id,)
            )
        if vacuum:
            self.store.vacuum()
        return Deletion(kept=len(kept), shredded=count)

    def set_expiry(self, segment: Segment, expires: int | None) -> Segment:
        """Set or clear when the segment expires (see ``vault/domain/retention.py``)."""
        self.store.execute(
            "UPDATE segments SET expires = ? WHERE id = ? AND kind = 'shared'",
            (expires, segment.id),
        )
        return self.by_id(segment.id)
