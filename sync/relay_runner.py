"""Sync through a relay: the folder transport's rules, with mailboxes instead of a folder.

    report = push_relay(replica, client)     # like push_folder: what this relay lacks
    report = pull_relay(replica, client)     # like pull_folder: every item not taken before
    rounds = sync_configured(replica)        # `kith sync`: pull, then push, per configured relay

The relay is one more transport, not a new protocol: the same sealed bundles and welcomes
(``sync.bundle``, ``sync.welcome``), taken through the same ``runner.receive`` (every check, one
transaction per bundle), with the same bookkeeping in ``Status`` under the key
``relay:<base URL>``: ``folders`` holds what was written, ``processed`` what was taken.

Rules and reasons:
- A bundle goes to the mailbox of the key that sealed it (``sync.relay_ids``), in the current
  weekly period; a welcome to the mailbox of its (sender, recipient) pair.
- What was written is recorded per segment *and period*: the first push of a week writes the
  segment's whole log to the new week's mailbox, so a member who pulls at least once per
  relay TTL never misses a change although older items expire.
- Progress is saved only for what the relay confirmed: a push cut off (relay restarted,
  network down) leaves the unconfirmed part to be written again; duplicates are harmless
  (ops are replays). A pull saves what it took, item by item, as the folder pull does.
- Items that do not open are kept for the next pull (their key may arrive later); pulls run
  in rounds, because a welcome taken in one round opens mailboxes to read in the next.
- Our own items are never taken back (their names are recorded as processed when written).
"""

from __future__ import annotations

from dataclasses import dataclass

from sync import bundle, relay_config
from sync.errors import BadBundle, NoRelayConfigured
from sync.relay_config import Scope
from sync.relay_ids import period_of, periods, segment_mailbox, welcome_mailbox
from sync.replica import Replica
from sync.runner import FolderReport, Received, capture_all, now_ms, receive
from sync.state import SegmentState
from sync.transports.relay import RelayClient
from vault.errors import KithError

MAX_ROUNDS = 8


def _key(client: RelayClient) -> str:
    return "relay:" + client.base


def _halted_member(replica: Replica, state: SegmentState) -> bool:
    members = state.membership.members()
    if any(bytes.fromhex(key) in members for key in replica.status.halted_keys):
        return True
    return any(p.halted and p.signing_public in members for p in replica.peers.peers.values())


def _bundles(state: SegmentState, theirs: dict[bytes, int], max_item: int
             ) -> tuple[bundle.SegmentKey, list[bytes]]:
    """Like ``sending.bundles_for``, split to fit the relay's item limit."""
    wires = [op.wire for op in state.lacking(theirs)]
    key = state.key_for(theirs)
    if not wires:
        return key, []
    budget = max(64 * 1024, max_item // 2)
    return key, [bundle.seal(key, run, state.vector()) for run in bundle.split(wires, budget)]


def push_relay(replica: Replica, client: RelayClient, scope: Scope | None = None
               ) -> FolderReport:
    """Write every op this relay lacks, and pending welcomes, to their mailboxes (only those
    of ``scope`` if given: a relay configured per peer or segment, ``sync.relay_config``)."""
    now = now_ms()
    capture_all(replica, now)
    replica.save()
    info = client.info()
    period = period_of(now // 1000)
    report = FolderReport()
    key = _key(client)
    written = replica.status.folders.setdefault(key, {})
    live = {f"@{p}" for p in periods(now // 1000, int(info["ttl"]))}
    for name in [n for n in written if "@" in n and n[n.index("@"):] not in live]:
        del written[name]  # periods whose items have all expired
    mine = set(replica.status.processed.get(key, []))
    try:
        for segment_id, state in sorted(replica.state.segments.items()):
            if replica.me.signing_public not in state.membership.members() or (
                segment_id.hex() in replica.status.removed
            ) or (scope is not None and segment_id not in scope.segments):
                continue
            if _halted_member(replica, state):
                report.skipped.append(segment_id.hex())
                continue
            slot = f"{segment_id.hex()}@{period}"
            before = {bytes.fromhex(a): s for a, s in written.get(slot, {}).items()}
            sealed_under, sealed = _bundles(state, before, int(info["max_item"]))
            mailbox, token = segment_mailbox(sealed_under, period)
            for data in sealed:
                mine.add(f"{mailbox.hex()}:{client.put(mailbox, token, data)}")
                report.written += 1
            written[slot] = {a.hex(): s for a, s in state.vector().items()}
        for item in replica.status.welcomes:
            # one welcome per epoch, as on a folder: a rotation's welcome is not the earlier one
            marker = f"welcome:{item['peer']}:{item['segment']}:{item.get('epoch', '0')}@{period}"
            peer = replica.peer_by_key(bytes.fromhex(item["peer"]))
            if marker in written or peer is None or peer.halted or (
                scope is not None and not scope.welcome(item)
            ):
                continue
            mailbox, token = welcome_mailbox(
                replica.me, peer.box_public, replica.me.signing_public, peer.signing_public,
                period,
            )
            mine.add(f"{mailbox.hex()}:{client.put(mailbox, token, bytes.fromhex(item['data']))}")
            written[marker] = {}
            report.written += 1
    finally:  # what the relay confirmed stays confirmed, even if a later write failed
        replica.status.processed[key] = sorted(mine)
        replica.save()
    return report


def _mailboxes(replica: Replica, window: list[int]) -> list[tuple[bytes, bytes]]:
    """Every (mailbox, token) something for this device may be in."""
    boxes = []
    for sk in replica.state.bundle_keys():
        boxes += [segment_mailbox(sk, p) for p in window]
    me = replica.me
    for peer in replica.peers.peers.values():
        boxes += [
            welcome_mailbox(me, peer.box_public, peer.signing_public, me.signing_public, p)
            for p in window
        ]
    return boxes


def _fetch(replica: Replica, client: RelayClient, window: list[int], skip: set[str],
           polled: set[bytes], listed: set[str]) -> dict[str, bytes]:
    """Items not in ``skip`` from mailboxes not yet ``polled`` (each mailbox once a pull)."""
    found: dict[str, bytes] = {}
    for mailbox, token in _mailboxes(replica, window):
        if mailbox in polled:
            continue
        polled.add(mailbox)
        for seq, _size in client.list(mailbox, token):
            name = f"{mailbox.hex()}:{seq}"
            listed.add(name)
            if name not in skip:
                data = client.get(mailbox, token, seq)
                if data is not None:
                    found[name] = data
    return found


def pull_relay(replica: Replica, client: RelayClient) -> FolderReport:
    """Take every item not taken before from every mailbox this device can derive."""
    now = now_ms()
    capture_all(replica, now)
    replica.save()
    window = periods(now // 1000, int(client.info()["ttl"]))
    report = FolderReport()
    key = _key(client)
    processed = set(replica.status.processed.get(key, []))
    listed: set[str] = set()
    pending: dict[str, bytes] = {}
    last: dict[str, Received] = {}
    polled: set[bytes] = set()
    for _ in range(MAX_ROUNDS):
        fetched = _fetch(replica, client, window, processed | set(pending), polled, listed)
        if not fetched:
            break
        pending.update(fetched)
        progress = True
        while pending and progress:
            progress = False
            for name, data in list(pending.items()):
                got = receive(replica, data, now)
                last[name] = got
                if got.applied or (not got.retryable and not isinstance(got.error, BadBundle)):
                    processed.add(name)
                    del pending[name]
                    report.taken.append(got)
                    progress = progress or got.applied
        replica.status.processed[key] = sorted(processed)
        replica.save()
    for name in pending:  # kept for the next pull: report why, once
        got = last[name]
        if isinstance(got.error, BadBundle):
            report.unopened += 1
        else:
            report.taken.append(got)
    # forget names the relay no longer lists in any mailbox we poll (expired or rotated away)
    replica.status.processed[key] = sorted(n for n in processed if n in listed)
    replica.save()
    return report


@dataclass
class RelayRound:
    """One configured relay's turn in ``sync_configured``: its reports, or why it failed."""

    base: str
    pulled: FolderReport | None = None
    pushed: FolderReport | None = None
    error: KithError | None = None


def sync_configured(replica: Replica) -> list[RelayRound]:
    """Pull from, then push to, every relay configured per peer or segment (``kith sync``, the
    TUI's "configured relays"), in URL order.

    A pull comes first so that what is pushed includes what was just learned. A relay that
    fails (down, refusing) is recorded in its round and the others are still synced: one
    unreachable relay must not hold back the segments that go through another. Raises
    ``NoRelayConfigured`` when nothing is configured."""
    plan = relay_config.plan(replica)
    if not plan:
        raise NoRelayConfigured("(set one with `kith sync relay set --peer NAME relay:URL`)")
    rounds: list[RelayRound] = []
    for base, scope in plan.items():
        turn = RelayRound(base)
        try:
            with RelayClient(base) as client:
                turn.pulled = pull_relay(replica, client)
                turn.pushed = push_relay(replica, client, scope)
        except KithError as error:
            turn.error = error
        rounds.append(turn)
    return rounds
