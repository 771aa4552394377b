"""What the TUI's sync screens show, read from the replica in a worker thread.

    sync_status(vault)    -> [SegmentRow]   as `kith sync status` (it captures first, as the CLI)
    peer_rows(vault)      -> [PeerRow]      as `kith peer list`, with safety numbers
    shares(vault)         -> {segment id: [(peer name, role)]}   for the segments panel
    my_code(vault)        -> (device number, invitation code)    as `kith id show`

Rules and reasons:
- The numbers are ``sync.report.status`` and ``sync.safety``'s, never recomputed here.
- "Problems" are the facts the sync state keeps that stop or delay sync for a segment: a
  member whose key changed (halted), a member not verified here, this device removed, a
  welcome not yet delivered. They are stated with what to do.
- Nothing shared, nothing loaded: a vault that shares no segment never reads the sync state
  for the segments panel (the CLI's after-write rule, ``sync/capture.py``).
- Every name here is user text (peer labels, segment names from peers); screens draw it
  through ``tui.safe_text``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sync import report, runner
from sync.replica import SEGMENT_PREFIX, Replica
from sync.safety import device_number, invitation_code, safety_number
from tui.output import when
from tui.sync_work import SYNC_LOCK
from vault.api import Vault
from vault.domain.sync_state import SyncStore

__all__ = [
    "MemberRow",
    "PeerRow",
    "SegmentRow",
    "heard",
    "my_code",
    "peer_rows",
    "shares",
    "shares_anything",
    "sync_status",
]


@dataclass(frozen=True)
class MemberRow:
    """One other member of a shared segment."""

    name: str
    role: str
    state: str
    pending: int
    last_heard: int | None


@dataclass(frozen=True)
class SegmentRow:
    """One shared segment, as ``kith sync status`` shows it, with its problems."""

    name: str
    role: str | None
    epoch: int
    ops: int
    members: list[MemberRow]
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PeerRow:
    """One peer, as ``kith peer list`` shows it, with the numbers to compare."""

    name: str
    state: str
    verified: bool
    device: str
    safety: str
    last_heard: int | None
    segments: list[str]


def heard(epoch: int | None) -> str:
    """When a member was last heard, for people."""
    return "never" if epoch is None else when(epoch)


def _member(replica: Replica, member: dict[str, Any]) -> dict[str, Any]:
    """A member whose label now shows other keys is that label's old key: halted (the report
    knows it only as an unknown key)."""
    label = replica.status.halted_keys.get(member["key"])
    if label is None or member["state"] != "unknown":
        return member
    return {**member, "name": f"{label} (old key)", "state": "halted", "label": label}


def _problems(replica: Replica, row: dict[str, Any]) -> list[str]:
    found: list[str] = []
    removed = replica.status.removed.get(row["id"])
    if removed is not None:
        found.append(f"you were removed by {removed}: nothing is sent or taken for it")
    for member in row["members"]:
        if member["state"] == "halted":
            found.append(f"{member.get('label', member['name'])}'s key changed: sync is halted "
                         "until you verify them again (Peers, v)")  # fmt: skip
        elif member["state"] == "unverified":
            found.append(f"{member['name']} is not verified: compare safety numbers (Peers, v)")
        elif member["state"] == "unknown":
            found.append(f"member {member['name']} is not one of your peers")
    for name in row["welcomes_pending"]:
        found.append(f"{name} has not yet received the segment key: sync with them")
    return found


def sync_status(vault: Vault) -> list[SegmentRow]:
    """Per shared segment: role, epoch, members with what they lack; captures first (CLI),
    unless a sync is running here (it captures, and may hold the lock for minutes)."""
    if SYNC_LOCK.acquire(blocking=False):
        try:
            replica = Replica(vault)
            runner.capture_all(replica, runner.now_ms())
            replica.save()
        finally:
            SYNC_LOCK.release()
    else:
        replica = Replica(vault)
    rows = []
    for seg in report.status(replica):
        seg["members"] = [_member(replica, m) for m in seg["members"]]
        members = [MemberRow(m["name"], m["role"], m["state"], m["pending"], m["last_heard"])
                   for m in seg["members"]]  # fmt: skip
        rows.append(SegmentRow(seg["segment"], seg["role"], seg["epoch"], seg["ops"], members,
                               _problems(replica, seg)))  # fmt: skip
    return rows


def _state(halted: bool, verified: bool) -> str:
    return "halted: key changed" if halted else "verified" if verified else "unverified"


def peer_rows(vault: Vault) -> list[PeerRow]:
    """Every peer: state, both numbers, when last heard, segments shared with them."""
    replica = Replica(vault)
    mine = (replica.me.signing_public, replica.me.box_public)
    names = {s.id: s.name for s in vault.segments.all()}
    rows = []
    for label, peer in sorted(replica.peers.peers.items()):
        theirs = (peer.signing_public, peer.box_public)
        heard = replica.status.heard.get(peer.signing_public.hex())
        segments = sorted(
            names.get(sid, sid.hex()[:12]) for sid, state in replica.state.segments.items()
            if peer.signing_public in state.membership.members()
        )  # fmt: skip
        rows.append(PeerRow(
            label, _state(peer.halted, peer.verified), peer.verified, device_number(*theirs),
            safety_number(mine, theirs), None if heard is None else heard // 1000, segments,
        ))  # fmt: skip
    return rows


def my_code(vault: Vault) -> tuple[str, str]:
    """This device's half of every safety number, and its invitation code (`kith id show`)."""
    me = vault.identity
    return device_number(me.signing_public, me.box_public), invitation_code(
        me.signing_public, me.box_public
    )


def shares_anything(vault: Vault) -> bool:
    """Whether any segment has sync state (one small query; no op is read)."""
    return bool(SyncStore(vault.live_store, vault.keyring).blob_names(SEGMENT_PREFIX))


def shares(vault: Vault) -> dict[bytes, list[tuple[str, str]]]:
    """Segment id -> (member name, role) of each other member; empty if nothing is shared."""
    if not shares_anything(vault):
        return {}
    replica = Replica(vault)
    out: dict[bytes, list[tuple[str, str]]] = {}
    for segment_id, state in replica.state.segments.items():
        members = state.membership.members()
        if replica.me.signing_public not in members:
            continue
        out[segment_id] = sorted(
            (replica.label_of(key), role.value) for key, role in members.items()
            if key != replica.me.signing_public
        )  # fmt: skip
    return out
