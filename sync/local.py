"""The vault side of a shared segment: local edits become ops, merged state becomes records.

    sent = capture(replica, segment_state, now_ms)      # vault -> signed ops (this device)
    apply(replica, segment_state, changes)               # merged state -> vault records

Rules and reasons:
- Capture finds local edits by fingerprint (field names and versions, ``SyncStore``) among
  the records never seen or updated since the last capture, so every way of editing a
  record (CLI, TUI, import, merge) reaches the op log without each one calling sync, and
  only changed records are decrypted. CLI commands that edit shared records
  call it right after their write; every sync command calls it first, which also heals a
  crash between a write and its capture.
- A record that left the segment (deleted, or removed from it) becomes ``record.delete``:
  delete wins and is permanent in the protocol, so a record removed from a shared segment is
  gone for every member; adding it back later is not sent (the id is tombstoned).
- A delete reaches a record only while it is still in the segment on this device: a record
  this device removed from the segment (``kith segment remove``) already left it, and its own
  copy stays in the private segment whatever late edit or delete arrives (issue 11, item 4).
- Apply writes each change as the record's whole merged state (idempotent), then records the
  fingerprint, so what was just applied is not captured back as a local edit. The caller
  wraps apply and the state save in one transaction: a crash leaves the vault as before.
- A deleted record's opened plaintext is dropped from the op log as well (``redact``); its
  sealed op bodies stay, because members who lack them need the whole chain.
- Deleted records are shredded without VACUUM here (VACUUM cannot run in a transaction); the
  caller vacuums after commit (``apply`` returns whether it shredded anything).
"""

from __future__ import annotations

from sync import bridge
from sync.bodies import MAX_ITEMS, Role
from sync.changes import RecordChange, record_change
from sync.membership import sufficient
from sync.replica import Replica
from sync.state import SegmentState
from vault.errors import NotFound

CLOCK_MARGIN_S = 2
"""Records updated this many seconds before the last capture are looked at again (clock
granularity is one second, and a write may race the capture)."""


def can_write(replica: Replica, state: SegmentState) -> bool:
    """Whether this device may write records in ``state`` now."""
    role = state.membership.current_role(replica.me.signing_public)
    return sufficient(role, Role.WRITER)


def capture(replica: Replica, state: SegmentState, now_ms: int) -> int:
    """Turn local edits of ``state``'s records into signed ops; returns how many ops."""
    if not can_write(replica, state):
        return 0
    with replica.vault.live_store.transaction():  # one commit (one fsync) for every write
        return _capture(replica, state, now_ms)


def _capture(replica: Replica, state: SegmentState, now_ms: int) -> int:
    store, sid = replica.store, state.segment
    since = replica.status.captured.get(sid.hex(), 0) - CLOCK_MARGIN_S
    replica.status.captured[sid.hex()] = now_ms // 1000
    sent = 0
    for record_type in sorted(bridge.SYNCED_TYPES):
        current = store.candidates(sid, record_type, since)
        seen = store.seen_of(sid, current)
        for record_id, fingerprint in sorted(current.items()):
            if seen.get(record_id) == fingerprint:
                continue
            sent += _emit(replica, state, record_id, now_ms)
            store.set_seen(sid, record_id, fingerprint)
    deleted: set[bytes] = set()
    for record_id in store.gone(sid):
        merged = state.merge.get(record_id)
        if merged is not None and merged.deleted is None:
            replica.writer.delete(state, record_id, now_ms)
            deleted.add(record_id)
            sent += 1
        store.set_seen(sid, record_id, None)
    replica.redact(sid, deleted)
    if sent:
        replica.dirty.add(sid)
    return sent


def _emit(replica: Replica, state: SegmentState, record_id: bytes, now_ms: int) -> int:
    record = replica.vault.records.get(record_id)
    merged_state = state.merge.get(record_id)
    if merged_state is not None and merged_state.deleted is not None:
        return 0  # tombstoned: a deleted id is never re-created
    merged = record_change(record_id, merged_state) if merged_state else None
    desired = bridge.to_sync(record.fields)
    changes = bridge.diff(desired, merged)
    sent = 0
    if changes or merged is None:
        for start in range(0, max(1, len(changes)), MAX_ITEMS):
            replica.writer.put(
                state, record_id, record.type, changes[start : start + MAX_ITEMS], now_ms
            )
            sent += 1
    have_notes = bridge.notes_text(merged) if merged else ""
    if desired.notes != have_notes:
        replaces = [nid for nid, _ in merged.notes] if merged else []
        replica.writer.note(
            state, record_id, record.type, desired.notes, now_ms, replaces=replaces[:MAX_ITEMS]
        )
        sent += 1
    return sent


def apply(replica: Replica, state: SegmentState, changes: list[RecordChange]) -> bool:
    """Write merged ``changes`` into the vault; True if any record was shredded."""
    records, store, sid = replica.vault.records, replica.store, state.segment
    shredded = False
    fresh: dict[str, list[tuple[bytes, dict[str, bytes]]]] = {}
    for change in changes:
        exists = records.type_of(change.record_id) is not None
        if change.deleted:
            if exists and sid in records.segments_of(change.record_id):
                records.shred([change.record_id], vacuum=False)
                shredded = True
            store.set_seen(sid, change.record_id, None)
            replica.redact(sid, {change.record_id})
            continue
        if change.record_type not in bridge.SYNCED_TYPES:
            continue
        values = bridge.to_vault(change)
        if not exists:
            fresh.setdefault(change.record_type, []).append((change.record_id, values))
            continue
        else:
            try:
                current = records.get(change.record_id).fields
            except NotFound:  # pragma: no cover - checked just above
                continue
            diff: dict[str, bytes | None] = {
                name: value for name, value in values.items()
                if not bridge.same_value(name, current.get(name), value)
            }
            diff.update({name: None for name in current if name not in values})
            if diff:
                records.update(change.record_id, diff)
            if sid not in records.segments_of(change.record_id):
                records.add_to_segment(change.record_id, sid)
        store.set_seen(sid, change.record_id, store.fingerprint(change.record_id))
    for record_type, made in fresh.items():  # new records: one batch (one insert per table)
        records.create_many(record_type, [v for _, v in made], sid, ids=[r for r, _ in made])
        for record_id, values in made:
            store.set_seen(sid, record_id, ",".join(sorted(f"{name}:1" for name in values)))
    return shredded
