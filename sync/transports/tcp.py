"""The direct transport: one framed, authenticated session over TCP.

Frame: ``kind (1 byte) || length (4 bytes, big-endian) || payload``. Kinds and limits:

    HELLO   1   enc("kith/tcp-hello/1", signing key, box key, nonce (32))      <= 512 bytes
    AUTH    2   Ed25519 signature of enc("kith/tcp-auth/1", role, client hello, server hello)
    WELCOME 3   a sealed welcome (``sync/welcome.py``)                           <= 64 KiB
    VECTOR  4   an empty sealed bundle carrying the sender's version vector
    BUNDLE  5   a sealed bundle                                                  <= 64 MiB
    END     6   empty: "my turn is over"
    ERROR   7   empty: the other side gave up (details stay local)

Handshake: client HELLO; server HELLO and AUTH(role "server"); client AUTH(role "client").
Each side then knows the other's keys, proven by a signature over both fresh nonces, so a
recorded session cannot be replayed and a signature made as server cannot be reflected.

Rules and reasons:
- Every read has a deadline (``TIMEOUT`` seconds) and every frame a size limit checked before
  its payload is read, so a silent or hostile peer cannot hold a session or memory forever.
- The session is not encrypted beyond its payloads: bundles, welcomes and vectors are already
  sealed. A network observer sees the two devices' public keys in HELLO (docs/sync.md).
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass

from sync.author import Identity
from sync.bundle import MAX_BUNDLE_BYTES
from sync.errors import MalformedOp, SessionFailed
from sync.welcome import MAX_WELCOME_BYTES
from vault.encoding import decode, enc
from vault.errors import IntegrityError
from vault.identity import verify

HELLO, AUTH, WELCOME, VECTOR, BUNDLE, END, ERROR = range(1, 8)
LIMITS = {
    HELLO: 512, AUTH: 64, WELCOME: MAX_WELCOME_BYTES, VECTOR: 64 * 1024 + 8192,
    BUNDLE: MAX_BUNDLE_BYTES, END: 0, ERROR: 0,
}
TIMEOUT = 30.0
HELLO_LABEL = "kith/tcp-hello/1"
AUTH_LABEL = "kith/tcp-auth/1"
MAX_FRAMES = 100_000


class Conn:
    """One framed connection (blocking, with a deadline on every read and write)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(TIMEOUT)
        self.frames = 0

    def send(self, kind: int, payload: bytes = b"") -> None:
        if len(payload) > LIMITS[kind]:
            raise SessionFailed("(frame too large)")
        try:
            self.sock.sendall(bytes([kind]) + len(payload).to_bytes(4, "big") + payload)
        except OSError:
            raise SessionFailed from None

    def _exactly(self, size: int) -> bytes:
        chunks: list[bytes] = []
        left = size
        try:
            while left:
                chunk = self.sock.recv(min(left, 1 << 20))
                if not chunk:
                    raise SessionFailed("(the other side hung up)")
                chunks.append(chunk)
                left -= len(chunk)
        except OSError:
            raise SessionFailed("(timeout or network error)") from None
        return b"".join(chunks)

    def recv(self) -> tuple[int, bytes]:
        """The next frame; ``SessionFailed`` if it is unknown, too large, or too many."""
        self.frames += 1
        if self.frames > MAX_FRAMES:
            raise SessionFailed("(too many frames)")
        head = self._exactly(5)
        kind, size = head[0], int.from_bytes(head[1:], "big")
        if kind not in LIMITS or size > LIMITS[kind]:
            raise SessionFailed("(bad frame)")
        if kind == ERROR:
            raise SessionFailed("(the other side gave up)")
        return kind, self._exactly(size)

    def expect(self, kind: int) -> bytes:
        got, payload = self.recv()
        if got != kind:
            raise SessionFailed("(unexpected frame)")
        return payload

    def close(self) -> None:
        self.sock.close()


def listen(host: str, port: int) -> socket.socket:
    """A listening socket (port 0 picks a free one; read it with ``getsockname``)."""
    server = socket.create_server((host, port))
    server.settimeout(TIMEOUT * 10)
    return server


def accept(server: socket.socket) -> Conn:
    try:
        sock, _ = server.accept()
    except OSError:
        raise SessionFailed("(no one connected)") from None
    return Conn(sock)


def dial(host: str, port: int) -> Conn:
    try:
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
    except OSError:
        raise SessionFailed("(cannot connect)") from None
    return Conn(sock)


@dataclass(frozen=True)
class PeerKeys:
    """The other side's proven public keys."""

    signing_public: bytes
    box_public: bytes


def _hello(me: Identity) -> bytes:
    return enc(HELLO_LABEL, me.signing_public, me.box_public, os.urandom(32))


def _parse_hello(raw: bytes) -> PeerKeys:
    try:
        parts = decode(raw, max_parts=4)
    except ValueError:
        raise SessionFailed("(bad hello)") from None
    if len(parts) != 4 or parts[0] != HELLO_LABEL.encode() or any(
        len(p) != 32 for p in parts[1:]
    ):
        raise SessionFailed("(bad hello)")
    return PeerKeys(parts[1], parts[2])


def _check(keys: PeerKeys, role: str, client: bytes, server: bytes, signature: bytes) -> None:
    try:
        verify(keys.signing_public, enc(AUTH_LABEL, role, client, server), signature)
    except (IntegrityError, MalformedOp, ValueError):
        raise SessionFailed("(the other side failed to prove its key)") from None


def handshake(conn: Conn, me: Identity, *, client: bool) -> PeerKeys:
    """Run the handshake; returns the other side's keys, proven by signature."""
    mine = _hello(me)
    if client:
        conn.send(HELLO, mine)
        theirs = conn.expect(HELLO)
        keys = _parse_hello(theirs)
        _check(keys, "server", mine, theirs, conn.expect(AUTH))
        conn.send(AUTH, me.sign(enc(AUTH_LABEL, "client", mine, theirs)))
        return keys
    theirs = conn.expect(HELLO)
    keys = _parse_hello(theirs)
    conn.send(HELLO, mine)
    conn.send(AUTH, me.sign(enc(AUTH_LABEL, "server", theirs, mine)))
    _check(keys, "client", theirs, mine, conn.expect(AUTH))
    return keys
