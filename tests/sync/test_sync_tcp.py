"""The TCP framing and handshake over a socket pair: bounded frames, proven keys, sealed frames."""

from __future__ import annotations

import contextlib
import socket
import threading

import pytest

from sync.errors import SessionFailed, UnknownPeer
from sync.transports import tcp
from tests.sync.helpers import identity
from vault.errors import KithError


def pair() -> tuple[tcp.Conn, tcp.Conn]:
    a, b = socket.socketpair()
    return tcp.Conn(a), tcp.Conn(b)


def test_frames_round_trip_and_limits_are_checked_before_reading() -> None:
    left, right = pair()
    left.established()
    right.established()
    left.send(tcp.BUNDLE, b"x" * 1000)
    assert right.recv() == (tcp.BUNDLE, b"x" * 1000)
    left.sock.sendall(bytes([tcp.HELLO]) + (129).to_bytes(4, "big"))
    with pytest.raises(SessionFailed):
        right.recv()
    left, right = pair()
    right.established()
    left.sock.sendall(bytes([99]) + (0).to_bytes(4, "big"))
    with pytest.raises(SessionFailed):
        right.recv()
    with pytest.raises(SessionFailed):
        left.send(tcp.HELLO, b"y" * 513)
    left.close()
    with pytest.raises(SessionFailed):
        right.recv()  # hung up


def test_handshake_proves_both_keys() -> None:
    left, right = pair()
    alice, bob = identity("alice"), identity("bob")
    got: dict[str, tcp.PeerKeys] = {}
    server = threading.Thread(
        target=lambda: got.update(server=tcp.handshake(right, bob, client=False))
    )
    server.start()
    keys = tcp.handshake(left, alice, client=True)
    server.join(5)
    assert keys.signing_public == bob.signing_public
    assert got["server"].signing_public == alice.signing_public


def test_an_auth_with_someone_elses_key_fails_the_proof() -> None:
    left, right = pair()
    alice, mallory = identity("alice"), identity("mallory")

    class Impostor:  # shows alice's keys, signs with mallory's
        signing_public = alice.signing_public
        box_public = alice.box_public

        @staticmethod
        def sign(message: bytes) -> bytes:
            return mallory.sign(message)

    thread = threading.Thread(target=lambda: _quietly(right, Impostor()))
    thread.start()
    with pytest.raises(SessionFailed):
        tcp.handshake(left, identity("bob"), client=True)
    thread.join(5)


def _quietly(conn: tcp.Conn, me: object, **kwargs: object) -> None:
    with contextlib.suppress(KithError):
        tcp.handshake(conn, me, client=False, **kwargs)  # type: ignore[arg-type]


def test_the_client_proves_first_and_an_unknown_client_never_learns_the_server() -> None:
    """A server that refuses the client (authorize raises) never sends its own AUTH."""
    left, right = pair()
    seen: list[bytes] = []

    def refuse(keys: tcp.PeerKeys) -> None:
        seen.append(keys.signing_public)
        raise UnknownPeer

    thread = threading.Thread(
        target=lambda: _quietly(right, identity("bob"), authorize=refuse)
    )
    thread.start()
    with pytest.raises(SessionFailed, match="gave up"):
        tcp.handshake(left, identity("scanner"), client=True)
    thread.join(5)
    assert seen == [identity("scanner").signing_public]


def test_every_frame_after_the_hellos_is_sealed_and_a_dropped_one_breaks_the_session() -> None:
    left, right = pair()
    alice, bob = identity("alice"), identity("bob")
    thread = threading.Thread(target=lambda: tcp.handshake(right, bob, client=False))
    thread.start()
    tcp.handshake(left, alice, client=True)
    thread.join(5)
    marker = b"Qmkplainframe" * 10
    left.send(tcp.BUNDLE, marker)
    raw = right.sock.recv(65536)
    assert marker not in raw and raw[0] == tcp.BUNDLE
    left.send(tcp.BUNDLE, b"second")  # the first was "dropped" (read off the socket above)
    with pytest.raises(SessionFailed, match="altered, dropped or replayed"):
        right.recv()


def test_junk_before_the_handshake_is_refused_at_the_header() -> None:
    left, right = pair()
    left.sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    with pytest.raises(SessionFailed, match="bad frame"):
        right.recv()
    left, right = pair()
    left.sock.sendall(bytes([tcp.BUNDLE]) + (64 << 20).to_bytes(4, "big"))
    with pytest.raises(SessionFailed, match="bad frame"):
        right.recv()  # nothing of the 64 MiB was awaited or read
