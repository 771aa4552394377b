"""The TCP framing and handshake over a socket pair: bounded frames, proven keys."""

from __future__ import annotations

import socket
import threading

import pytest

from sync.errors import SessionFailed
from sync.transports import tcp
from tests.sync.helpers import identity
from vault.encoding import enc


def pair() -> tuple[tcp.Conn, tcp.Conn]:
    a, b = socket.socketpair()
    return tcp.Conn(a), tcp.Conn(b)


def test_frames_round_trip_and_limits_are_checked_before_reading() -> None:
    left, right = pair()
    left.send(tcp.BUNDLE, b"x" * 1000)
    assert right.recv() == (tcp.BUNDLE, b"x" * 1000)
    left.sock.sendall(bytes([tcp.HELLO]) + (513).to_bytes(4, "big"))
    with pytest.raises(SessionFailed):
        right.recv()
    left, right = pair()
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


def test_a_hello_with_someone_elses_key_fails_the_proof() -> None:
    left, right = pair()
    alice, mallory = identity("alice"), identity("mallory")

    def impostor() -> None:
        hello = right.expect(tcp.HELLO)
        fake = enc(tcp.HELLO_LABEL, alice.signing_public, alice.box_public, bytes(32))
        right.send(tcp.HELLO, fake)
        right.send(tcp.AUTH, mallory.sign(enc(tcp.AUTH_LABEL, "server", hello, fake)))

    thread = threading.Thread(target=impostor)
    thread.start()
    with pytest.raises(SessionFailed):
        tcp.handshake(left, identity("bob"), client=True)
    thread.join(5)
