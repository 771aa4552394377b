"""The direct session (``kith sync connect`` / ``kith sync serve``), over ``sync/transports/tcp``.

    report = connect(replica, host, port, label)
    serve(load_replica, host, port, on_listening, forever=True, on_session=..., on_failure=...)

Turns (``docs/state-machines/session.md``), after the handshake:

    client: WELCOME* VECTOR* END                      (what it holds, per shared segment)
    server: WELCOME* VECTOR* BUNDLE* END              (bundles for what the client lacks)
    client: BUNDLE* VECTOR* END                       (bundles, then what it holds now)
    server: VECTOR* END                               (what it holds now)

Rules and reasons:
- A peer's vector is recorded (``Status.set_vector``, what ``sync status`` shows as "lacks")
  only from the vectors it sent at the very end, and only once the session completed. The
  vectors of the first turn only choose what to send in this session. Reason: a bundle the
  peer refused, or a frame a relay dropped, must never make this device believe the peer
  holds what it does not (issue 11, items 3 and 10); a peer's final vector says what it took.
- Only a known, verified, non-halted peer gets past the handshake (``authorize``), and only
  segments of which both are current members are exchanged.
- ``serve(forever=True)`` survives every failed session (junk, probes, silence, an unknown
  peer, a refused bundle, a long wait): each failure is reported through ``on_failure`` and
  the server goes on. Only one session runs at a time; every read has a deadline.
- Sockets stay in ``sync/transports/tcp.py`` (the layering contract): this module only turns.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sync import bundle, vv, welcomes
from sync import sending as outbox
from sync.errors import (
    BadBundle,
    BundleTooLarge,
    PeerKeyChanged,
    SessionFailed,
    UnknownPeer,
    UnverifiedPeer,
)
from sync.peers import Peer
from sync.replica import Replica
from sync.runner import add_peer, capture_all, now_ms, receive
from sync.state import SegmentState
from sync.transports import tcp
from sync.welcomes import Received
from vault.errors import KithError


@dataclass
class SessionReport:
    """What one direct session did."""

    peer: str = ""
    sent: int = 0
    taken: list[Received] = field(default_factory=list)


def _authorize(replica: Replica, keys: tcp.PeerKeys, label: str | None) -> Peer:
    """The peer whose proven ``keys`` these are: known, verified, not halted (spec §2.2-2.3).

    With ``label`` (``--peer``), the label must already be known; other keys halt it.
    """
    if label is not None:
        if label not in replica.peers.peers:
            raise UnknownPeer
        add_peer(replica, label, keys.signing_public, keys.box_public)
    peer = replica.peer_by_key(keys.signing_public)
    if peer is None:
        raise UnknownPeer
    if peer.halted or peer.box_public != keys.box_public or (
        keys.signing_public.hex() in replica.status.halted_keys
    ):
        raise PeerKeyChanged
    if not peer.verified:
        raise UnverifiedPeer
    return peer


def _shared_with(replica: Replica, peer: Peer) -> list[SegmentState]:
    mine = replica.me.signing_public
    return [
        s for _, s in sorted(replica.state.segments.items())
        if peer.signing_public in s.membership.members() and mine in s.membership.members()
    ]


class _Session:
    """One session's state: what the peer showed, what it ends up holding."""

    def __init__(self, replica: Replica, conn: tcp.Conn, peer: Peer) -> None:
        self.replica = replica
        self.conn = conn
        self.peer = peer
        self.report = SessionReport(peer=peer.label)
        self.theirs: dict[bytes, vv.Vector] = {}
        self.final: dict[bytes, vv.Vector] = {}

    def their_vector(self, state: SegmentState) -> vv.Vector:
        if state.segment in self.theirs:
            return self.theirs[state.segment]
        return self.replica.status.vector_of(state.segment, self.peer.signing_public)

    def send_welcomes(self) -> None:
        for item in self.replica.status.welcomes:
            if item["peer"] == self.peer.signing_public.hex():
                self.conn.send(tcp.WELCOME, bytes.fromhex(item["data"]))

    def send_vectors(self) -> None:
        for state in _shared_with(self.replica, self.peer):
            key = state.key_for(self.their_vector(state))
            self.conn.send(tcp.VECTOR, bundle.seal(key, [], state.vector()))

    def send_bundles(self) -> None:
        for state in _shared_with(self.replica, self.peer):
            for data in outbox.bundles_for(state, self.their_vector(state)):
                self.conn.send(tcp.BUNDLE, data)
                self.report.sent += 1

    def read_turn(self, *, final: bool, bundles: bool = True) -> None:
        """Frames until END: welcomes and bundles (if ``bundles``), and vectors (``final``:
        what the peer holds at the end of the session)."""
        now = now_ms()
        while True:
            kind, payload = self.conn.recv()
            if kind == tcp.END:
                return
            if kind == tcp.VECTOR:
                self._take_vector(payload, final)
            elif kind in (tcp.WELCOME, tcp.BUNDLE) and bundles:
                self.report.taken.append(receive(self.replica, payload, now))
            else:
                raise SessionFailed("(unexpected frame)")

    def _take_vector(self, payload: bytes, final: bool) -> None:
        try:
            opened = bundle.open_bundle(payload, self.replica.state.bundle_keys())
        except (BadBundle, BundleTooLarge):
            return  # a segment we do not hold (yet): the welcome comes first next time
        state = self.replica.state.segments[opened.segment]
        if opened.ops or self.peer.signing_public not in state.membership.members():
            return
        (self.final if final else self.theirs)[opened.segment] = opened.sender_vector

    def record(self) -> None:
        """The session completed: record what the peer now holds, and when it was heard."""
        replica, key = self.replica, self.peer.signing_public
        replica.status.heard[key.hex()] = now_ms()
        for segment, vector in self.final.items():
            state = replica.state.segments[segment]
            replica.status.set_vector(segment, key, dict(vector))
            welcomes.drop_if_held(replica, key, state, state.membership.epoch_known_to(vector)[0])
        replica.save()


def run(replica: Replica, conn: tcp.Conn, *, client: bool, label: str | None) -> SessionReport:
    """One whole session on a connected ``conn``; ``SessionFailed`` (or the refusal) if cut."""
    capture_all(replica, now_ms())
    replica.save()
    found: list[Peer] = []
    tcp.handshake(conn, replica.me, client=client,
                  authorize=lambda keys: found.append(_authorize(replica, keys, label)))
    session = _Session(replica, conn, found[-1])
    if client:
        session.send_welcomes()
        session.send_vectors()
        conn.send(tcp.END)
        session.read_turn(final=False)
        session.send_bundles()
        session.send_vectors()
        conn.send(tcp.END)
        session.read_turn(final=True, bundles=False)
    else:
        session.read_turn(final=False)
        session.send_welcomes()
        session.send_vectors()
        session.send_bundles()
        conn.send(tcp.END)
        session.read_turn(final=True)
        session.send_vectors()
        conn.send(tcp.END)
    session.record()
    return session.report


def connect(replica: Replica, host: str, port: int, label: str | None = None) -> SessionReport:
    """One session with the device serving at ``host:port``."""
    if label is not None and label not in replica.peers.peers:
        raise UnknownPeer  # --peer never adds a label on first use
    conn = tcp.dial(host, port)
    try:
        return run(replica, conn, client=True, label=label)
    except SessionFailed:
        raise
    except KithError:
        conn.fail()
        raise
    finally:
        conn.close()


def serve(
    load: Callable[[], Replica], host: str, port: int, on_listening: Callable[[int], None],
    *, forever: bool = False, on_session: Callable[[SessionReport], None] | None = None,
    on_failure: Callable[[KithError], None] | None = None,
) -> None:
    """Accept sessions at ``host:port``: one, or (``forever``) until interrupted.

    The replica is loaded afresh for each session (``load``): other ``kith`` processes may
    have changed the vault while this one waited. With ``forever``, a failed session or a
    wait with no one connecting is reported to ``on_failure`` and serving goes on; without
    it, the first failure is raised.
    """
    server = tcp.listen(host, port)
    try:
        on_listening(int(server.getsockname()[1]))
        while True:
            try:
                report = _one(load, server)
            except KithError as error:
                if not forever:
                    raise
                if on_failure is not None:
                    on_failure(error.with_traceback(None))
                continue
            if on_session is not None:
                on_session(report)
            if not forever:
                return
    finally:
        server.close()


def _one(load: Callable[[], Replica], server: tcp.Listener) -> SessionReport:
    conn = tcp.accept(server)
    try:
        return run(load(), conn, client=False, label=None)
    except SessionFailed:
        raise
    except KithError:
        conn.fail()
        raise
    finally:
        conn.close()
