"""This device's replica: sync state, peers and status, loaded from and saved to the vault.

    replica = Replica(vault)                 # loads everything (keys from the sync keyring)
    ... change replica.state / replica.peers / replica.status, mark segments dirty ...
    replica.save()                           # in the caller's transaction if it has one

Storage (``vault/domain/sync_state.py``, every blob sealed under the local-wrap key):
- ``segment:<hex>``: a segment's head, gap buffer and forks; its append-only op log is
  stored one sealed row per op (``sync_log``), so a sync appends only its new ops.
- ``opening:<hex>``: keys a welcome named for the segment (``SegmentState.add_opening_key``):
  ``frame(enc(epoch, key) ...)``. They are the one exception to "keys never enter a blob",
  because they are not trusted segment keys: they may only open bundles.
- ``clock``: ``enc(wall ms, counter)`` of the device's hybrid logical clock.
- ``peers``: the peer book, JSON ``[{label, sign, box, verified, halted}]``.
- ``status``: JSON of what sync knows about others (see ``Status``).

Rules and reasons:
- Keys never enter a blob: ``ReceiveOutcome.new_keys`` and keys made locally go to ``sync_keys``
  (``save`` stores every key the state holds that the keyring lacks).
- A peer is identified in the status by its signing key (hex), not its label: a label can be
  re-pointed, a key cannot.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sync.author import Writer
from sync.errors import BadSyncState
from sync.framing import frame, unframe
from sync.hlc import Hlc, HybridClock
from sync.peers import Peer, PeerBook
from sync.state import MAX_LOG_OPS, SegmentState, SyncState
from vault.api import Vault
from vault.domain.sync_state import SyncStore
from vault.encoding import decode, enc
from vault.errors import IntegrityError

SEGMENT_PREFIX = "segment:"
OPENING_PREFIX = "opening:"
MAX_OPENING_KEYS = 1000


@dataclass
class Status:
    """What this device knows about the others, and what it still has to deliver.

    ``heard``: peer key -> ms when a session with it ended or its ops last arrived.
    ``vectors``: segment -> peer key -> that peer's version vector (hex author -> seq).
    ``folders``: folder -> segment -> the vector already written there.
    ``processed``: folder -> file names already taken (or refused for good).
    ``welcomes``: pending welcomes ``{peer, segment, data}`` (hex), until the peer is heard.
    ``halted_keys``: signing key -> label, for keys a label showed before its key changed:
    segments they are members of stay halted until the label is verified again.
    ``captured``: segment -> epoch seconds of the last capture of local edits.
    ``removed``: segment -> label of the admin whose signed removal notice said this device
    was removed (it then stops capturing and sending for that segment).
    """

    heard: dict[str, int] = field(default_factory=dict)
    vectors: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    folders: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    processed: dict[str, list[str]] = field(default_factory=dict)
    welcomes: list[dict[str, str]] = field(default_factory=list)
    halted_keys: dict[str, str] = field(default_factory=dict)
    captured: dict[str, int] = field(default_factory=dict)
    removed: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return json.dumps(self.__dict__, sort_keys=True).encode()

    @classmethod
    def from_json(cls, raw: bytes | None) -> Status:
        if raw is None:
            return cls()
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)

    def vector_of(self, segment: bytes, peer: bytes) -> dict[bytes, int]:
        """The last vector ``peer`` showed for ``segment`` (empty if never)."""
        raw = self.vectors.get(segment.hex(), {}).get(peer.hex(), {})
        return {bytes.fromhex(a): int(s) for a, s in raw.items()}

    def set_vector(self, segment: bytes, peer: bytes, vector: dict[bytes, int]) -> None:
        self.vectors.setdefault(segment.hex(), {})[peer.hex()] = {
            a.hex(): s for a, s in vector.items()
        }


class Replica:
    """Everything sync holds for one unlocked vault."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault
        self.store = SyncStore(vault.live_store, vault.keyring)
        self.me = vault.identity
        raw_clock = self.store.get_blob("clock")
        clock = HybridClock(_clock(raw_clock)) if raw_clock else HybridClock()
        self.state = SyncState(clock)
        self.stored: dict[bytes, int] = {}
        for name in self.store.blob_names(SEGMENT_PREFIX):
            raw = self.store.get_blob(name)
            if raw is None:  # pragma: no cover - listed just above
                continue
            segment_id = bytes.fromhex(name[len(SEGMENT_PREFIX):])
            entries = self.store.log_items(segment_id)
            segment = SegmentState.from_bytes(_with_log(raw, entries))
            self.stored[segment.segment] = len(entries)
            for epoch, key in self.store.keys(segment.segment):
                segment.add_key(epoch, key)
            for epoch, key in _opening_keys(self.store.get_blob(OPENING_PREFIX + segment_id.hex())):
                segment.add_opening_key(epoch, key)
            self.state.segments[segment.segment] = segment
        self.peers = _load_peers(self.store.get_blob("peers"))
        self.status = Status.from_json(self.store.get_blob("status"))
        self.writer = Writer(self.me, self.state.clock)
        self.dirty: set[bytes] = set()

    # -- peers ----------------------------------------------------------------------------------

    def peer_by_key(self, signing_public: bytes) -> Peer | None:
        """The peer whose current signing key this is, if any."""
        for peer in self.peers.peers.values():
            if peer.signing_public == signing_public:
                return peer
        return None

    def label_of(self, signing_public: bytes) -> str:
        """A name for a member: its peer label, "you", or a short key."""
        if signing_public == self.me.signing_public:
            return "you"
        peer = self.peer_by_key(signing_public)
        return peer.label if peer else signing_public.hex()[:12]

    def redact(self, segment_id: bytes, record_ids: set[bytes]) -> None:
        """Drop deleted records' plaintext from the in-memory and the stored log."""
        if not record_ids:
            return
        state = self.state.segments[segment_id]
        stored = self.stored.get(segment_id, 0)
        for index in state.redact(record_ids):
            if index < stored:
                self.store.replace_log(segment_id, index, state.entry_bytes(index))
        self.dirty.add(segment_id)

    # -- saving ---------------------------------------------------------------------------------

    def save(self) -> None:
        """Write dirty segments, their keys, the clock, peers and status (one transaction)."""
        store = self.store
        with self.vault.live_store.transaction():
            for segment_id in sorted(self.dirty):
                segment = self.state.segments[segment_id]
                head, rest = segment.head_and_rest()
                stored = self.stored.get(segment_id, 0)
                store.append_log(segment_id, stored, [
                    segment.entry_bytes(i) for i in range(stored, len(segment.log))
                ])
                store.put_blob(SEGMENT_PREFIX + segment_id.hex(), frame([head, *rest]))
                store.add_keys(
                    segment_id, [(e, k) for e in sorted(segment.keys) for k in segment.keys[e]]
                )
                if segment.opening_keys:
                    store.put_blob(OPENING_PREFIX + segment_id.hex(), frame(
                        [enc(e, k) for e, k in segment.opening_keys[-MAX_OPENING_KEYS:]]
                    ))
            last = self.state.clock.last
            store.put_blob("clock", enc(last.wall_ms, last.counter))
            store.put_blob("peers", _dump_peers(self.peers))
            store.put_blob("status", self.status.to_json())
        for segment_id in self.dirty:
            self.stored[segment_id] = len(self.state.segments[segment_id].log)
        self.dirty.clear()


def _with_log(raw: bytes, entries: list[bytes]) -> bytes:
    """The full ``SegmentState.to_bytes`` from a stored head blob and the log rows."""
    try:
        items, end = unframe(raw, max_items=MAX_LOG_OPS + 1, max_item=len(raw))
    except ValueError:
        raise BadSyncState from None
    if end != len(raw) or not items:
        raise BadSyncState
    return frame([items[0], *entries, *items[1:]])


def _opening_keys(raw: bytes | None) -> list[tuple[int, bytes]]:
    if raw is None:
        return []
    try:
        items, end = unframe(raw, max_items=MAX_OPENING_KEYS, max_item=64)
        pairs = [decode(item, max_parts=2) for item in items]
    except ValueError:
        raise BadSyncState from None
    if end != len(raw) or any(len(p) != 2 or len(p[0]) != 8 or len(p[1]) != 32 for p in pairs):
        raise BadSyncState
    return [(int.from_bytes(p[0], "big"), p[1]) for p in pairs]


def _clock(raw: bytes) -> Hlc:
    parts = decode(raw, max_parts=2)
    if len(parts) != 2 or any(len(p) != 8 for p in parts):
        raise IntegrityError("(the stored sync clock is damaged)")
    return Hlc(int.from_bytes(parts[0], "big"), int.from_bytes(parts[1], "big"))


def _load_peers(raw: bytes | None) -> PeerBook:
    book = PeerBook()
    for item in json.loads(raw) if raw else []:
        book.peers[item["label"]] = Peer(
            item["label"], bytes.fromhex(item["sign"]), bytes.fromhex(item["box"]),
            bool(item["verified"]), bool(item["halted"]),
        )
    return book


def _dump_peers(book: PeerBook) -> bytes:
    return json.dumps(
        [
            {"label": p.label, "sign": p.signing_public.hex(), "box": p.box_public.hex(),
             "verified": p.verified, "halted": p.halted}
            for _, p in sorted(book.peers.items())
        ]
    ).encode()
