"""The direct transport: one framed, authenticated, encrypted session over TCP.

Frame: ``kind (1 byte) || length (4 bytes, big-endian) || payload``. After the two hellos every
payload is sealed (``vault/crypto/channel.py``): XChaCha20-Poly1305 under a per-direction
session key with the frame's number as nonce, the 5-byte header as associated data. Kinds and
limits (of the clear payload):

    HELLO   1   enc("kith/tcp-hello/2", ephemeral X25519 key (32), nonce (32))   clear
    AUTH    2   enc(signing key, box key, Ed25519 signature of
                    enc("kith/tcp-auth/2", role, transcript hash))                 <= 256 bytes
    WELCOME 3   a sealed welcome (``sync/welcome.py``)                           <= 64 KiB
    VECTOR  4   an empty sealed bundle carrying the sender's version vector
    BUNDLE  5   a sealed bundle                                                  <= 64 MiB
    END     6   empty: "my turn is over"
    ERROR   7   empty: the other side gave up (details stay local)

Handshake (``handshake``), the client proving first:

    client -> HELLO(ephemeral, nonce)            server -> HELLO(ephemeral, nonce)
    both:   transcript = SHA-256(enc("kith/tcp-transcript/2", client hello, server hello))
            session keys = HKDF(X25519(ephemerals), "kith/session/1", direction, transcript)
    client -> AUTH(its keys, signature as "client")      sealed
    server: checks the signature, then ``authorize`` (known, verified, not halted) or ERROR
    server -> AUTH(its keys, signature as "server")      sealed
    client: checks the signature, then ``authorize``

Rules and reasons:
- The client proves its identity first and the server answers only a known, verified peer,
  so a scanner that connects learns nothing about who serves (not even its public key). The
  client, which chose the address, reveals its identity to whoever answers; both identities
  are sealed under the session key, so a passive observer sees neither.
- Every frame after the hellos is sealed with a counter nonce: a relay that drops, replays,
  reorders or alters a frame (a BUNDLE, an END) breaks the session (``SessionFailed``) instead
  of leaving both sides believing they are in sync.
- The signatures cover the transcript hash, so they bind both fresh nonces and both ephemeral
  keys: a recorded session cannot be replayed, a signature made as server cannot be
  reflected, and the session keys belong to the proven identities.
- Every read has a deadline (``TIMEOUT`` seconds; ``HANDSHAKE_TIMEOUT`` before both sides are
  proven) and every frame a size limit checked before its payload is read; a session is
  bounded in frames (``MAX_FRAMES``) and bytes (``MAX_SESSION_BYTES``). Before the handshake
  completes only HELLO and AUTH frames of at most a few hundred bytes are read, so junk or a
  probe costs the server no memory.
- What the session does not hide: frame kinds and sizes, and when and how much two devices
  sync.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass

from sync.author import Identity
from sync.bundle import MAX_BUNDLE_BYTES
from sync.errors import MalformedOp, SessionFailed
from sync.welcome import MAX_WELCOME_BYTES
from vault.core.identity import verify
from vault.crypto import channel
from vault.encoding import decode, enc
from vault.errors import IntegrityError, KithError

HELLO, AUTH, WELCOME, VECTOR, BUNDLE, END, ERROR = range(1, 8)
LIMITS = {
    HELLO: 128, AUTH: 256, WELCOME: MAX_WELCOME_BYTES, VECTOR: 64 * 1024 + 8192,
    BUNDLE: MAX_BUNDLE_BYTES, END: 0, ERROR: 0,
}
HANDSHAKE_KINDS = frozenset({HELLO, AUTH, ERROR})
TIMEOUT = 30.0
HANDSHAKE_TIMEOUT = 10.0
HELLO_LABEL = "kith/tcp-hello/2"
AUTH_LABEL = "kith/tcp-auth/2"
TRANSCRIPT_LABEL = "kith/tcp-transcript/2"
MAX_FRAMES = 100_000
MAX_SESSION_BYTES = 1 << 30


class Conn:
    """One framed connection (blocking, with a deadline on every read and write)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(HANDSHAKE_TIMEOUT)
        self.frames = 0
        self.bytes = 0
        self.sending: channel.Direction | None = None
        self.receiving: channel.Direction | None = None
        self.proven = False

    def secure(self, sending: channel.Direction, receiving: channel.Direction) -> None:
        """Seal every later frame (after the hellos)."""
        self.sending, self.receiving = sending, receiving

    def established(self) -> None:
        """Both sides are proven: lift the handshake limits."""
        self.proven = True
        self.sock.settimeout(TIMEOUT)

    def send(self, kind: int, payload: bytes = b"") -> None:
        if len(payload) > LIMITS[kind]:
            raise SessionFailed("(frame too large)")
        overhead = channel.TAG_BYTES if self.sending is not None else 0
        header = bytes([kind]) + (len(payload) + overhead).to_bytes(4, "big")
        if self.sending is not None:
            payload = self.sending.seal(header, payload)
        try:
            self.sock.sendall(header + payload)
        except OSError:
            raise SessionFailed from None

    def _exactly(self, size: int) -> bytes:
        buffer = bytearray(size)
        view = memoryview(buffer)
        got = 0
        try:
            while got < size:
                read = self.sock.recv_into(view[got:], min(size - got, 1 << 20))
                if not read:
                    raise SessionFailed("(the other side hung up)")
                got += read
        except OSError:
            raise SessionFailed("(timeout or network error)") from None
        return bytes(buffer)

    def recv(self) -> tuple[int, bytes]:
        """The next frame; ``SessionFailed`` if unknown, too large, too many, or not authentic."""
        self.frames += 1
        if self.frames > MAX_FRAMES:
            raise SessionFailed("(too many frames)")
        header = self._exactly(5)
        kind, size = header[0], int.from_bytes(header[1:], "big")
        overhead = channel.TAG_BYTES if self.receiving is not None else 0
        allowed = kind in LIMITS and (self.proven or kind in HANDSHAKE_KINDS)
        if not allowed or size > LIMITS[kind] + overhead or size < overhead:
            raise SessionFailed("(bad frame)")
        self.bytes += size
        if self.bytes > MAX_SESSION_BYTES:
            raise SessionFailed("(too much data in one session)")
        payload = self._exactly(size)
        if self.receiving is not None:
            try:
                payload = self.receiving.open(header, payload)
            except IntegrityError:
                raise SessionFailed("(a frame was altered, dropped or replayed)") from None
        if kind == ERROR:
            raise SessionFailed("(the other side gave up)")
        return kind, payload

    def expect(self, kind: int) -> bytes:
        got, payload = self.recv()
        if got != kind:
            raise SessionFailed("(unexpected frame)")
        return payload

    def fail(self) -> None:
        """Tell the other side this one gives up (best effort), before closing."""
        with contextlib.suppress(SessionFailed):
            self.send(ERROR)

    def close(self) -> None:
        self.sock.close()


Listener = socket.socket
"""A listening socket, as ``listen`` returns it (named so callers need not import socket)."""


def listen(host: str, port: int) -> Listener:
    """A listening socket (port 0 picks a free one; read it with ``getsockname``)."""
    server = socket.create_server((host, port))
    server.settimeout(TIMEOUT * 10)
    return server


def accept(server: Listener) -> Conn:
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


def _hello(ephemeral_public: bytes) -> bytes:
    return enc(HELLO_LABEL, ephemeral_public, os.urandom(32))


def _parse_hello(raw: bytes) -> bytes:
    """The ephemeral key in a hello."""
    try:
        parts = decode(raw, max_parts=3)
    except ValueError:
        raise SessionFailed("(bad hello)") from None
    if len(parts) != 3 or parts[0] != HELLO_LABEL.encode() or any(
        len(p) != 32 for p in parts[1:]
    ):
        raise SessionFailed("(bad hello)")
    return parts[1]


def _auth(me: Identity, role: str, transcript: bytes) -> bytes:
    signature = me.sign(enc(AUTH_LABEL, role, transcript))
    return enc(me.signing_public, me.box_public, signature)


def _check(raw: bytes, role: str, transcript: bytes) -> PeerKeys:
    try:
        parts = decode(raw, max_parts=3)
        if len(parts) != 3 or len(parts[0]) != 32 or len(parts[1]) != 32:
            raise ValueError("bad auth")
        verify(parts[0], enc(AUTH_LABEL, role, transcript), parts[2])
    except (IntegrityError, MalformedOp, ValueError):
        raise SessionFailed("(the other side failed to prove its key)") from None
    return PeerKeys(parts[0], parts[1])


Authorize = Callable[[PeerKeys], object]


def handshake(
    conn: Conn, me: Identity, *, client: bool, authorize: Authorize = lambda _keys: None
) -> PeerKeys:
    """Run the handshake (see the module docstring); returns the other side's proven keys.

    ``authorize`` is called with the other side's proven keys before this side reveals its
    own (server) or goes on (client); whatever it raises ends the session, after an ERROR
    frame tells the other side.
    """
    secret, public = channel.ephemeral()
    mine = _hello(public)
    if client:
        conn.send(HELLO, mine)
        theirs = conn.expect(HELLO)
        hellos = (mine, theirs)
    else:
        theirs = conn.expect(HELLO)
        conn.send(HELLO, mine)
        hellos = (theirs, mine)
    transcript = hashlib.sha256(enc(TRANSCRIPT_LABEL, *hellos)).digest()
    try:
        sending, receiving = channel.channel(
            secret, _parse_hello(theirs), transcript, initiator=client
        )
    except IntegrityError:
        raise SessionFailed("(bad hello)") from None
    conn.secure(sending, receiving)
    if client:
        conn.send(AUTH, _auth(me, "client", transcript))
        keys = _check(conn.expect(AUTH), "server", transcript)
        _authorized(conn, authorize, keys)
    else:
        keys = _check(conn.expect(AUTH), "client", transcript)
        _authorized(conn, authorize, keys)
        conn.send(AUTH, _auth(me, "server", transcript))
    conn.established()
    return keys


def _authorized(conn: Conn, authorize: Authorize, keys: PeerKeys) -> None:
    try:
        authorize(keys)
    except KithError:
        conn.fail()
        raise
