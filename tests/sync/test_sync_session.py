"""Issue 11 over TCP, with real ``kith`` processes: a hostile relay, unknown and unverified
peers, and ``sync serve --forever`` under a stream of junk (items 3, 5, 9 and 10)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sync.transports import tcp
from tests.conftest import ROOT
from tests.sync.pair import CONTACT, Org, make_org, ok, pair
from tests.sync.test_sync_e2e import kith_proc, proc_ok, start_serve


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


class DroppingRelay:
    """A loopback relay that forwards whole frames and drops the first BUNDLE from the server.

    Frame kinds and lengths are in the clear (sync/transports/tcp.py), so a relay can do this;
    what it must not achieve is two sides that both believe the session completed.
    """

    def __init__(self, upstream: int) -> None:
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.server.getsockname()[1])
        self.dropped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    @staticmethod
    def _read(sock: socket.socket, size: int) -> bytes:
        out = bytearray()
        while len(out) < size:
            chunk = sock.recv(size - len(out))
            if not chunk:
                raise EOFError
            out += chunk
        return bytes(out)

    def _pump(self, src: socket.socket, dst: socket.socket, drop: bool) -> None:
        try:
            while True:
                header = self._read(src, 5)
                body = self._read(src, int.from_bytes(header[1:], "big"))
                if drop and header[0] == tcp.BUNDLE and not self.dropped.is_set():
                    self.dropped.set()
                    continue
                dst.sendall(header + body)
        except (EOFError, OSError):
            with contextlib.suppress(OSError):
                dst.shutdown(socket.SHUT_WR)

    def _run(self) -> None:
        self.server.settimeout(60)
        client, _ = self.server.accept()
        server = socket.create_connection(("127.0.0.1", self.upstream))
        pumps = [
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True),
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True),
        ]
        for pump in pumps:
            pump.start()
        for pump in pumps:
            pump.join(60)
        client.close()
        server.close()
        self.server.close()


def status_of(org: Org) -> list[dict[str, object]]:
    found: list[dict[str, object]] = json.loads(ok(org.kith("sync", "status", "--json")).stdout)
    return found


def test_item10_a_relay_that_drops_a_bundle_fails_both_sides_and_records_nothing(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    serving, port = start_serve(alice)
    relay = DroppingRelay(port)
    try:
        cut = kith_proc(bob, "sync", "connect", f"127.0.0.1:{relay.port}", "--peer", "alice")
        assert serving.wait(60) == 1, serving.stderr.read() if serving.stderr else ""
    finally:
        serving.kill()
    assert relay.dropped.is_set()
    assert cut.returncode == 1, cut.stderr  # SessionFailed: "other error", retry
    assert b"altered, dropped or replayed" in cut.stderr
    assert bob.contacts() == []
    [alices_view] = status_of(alice)
    members = alices_view["members"]
    assert isinstance(members, list)
    assert members[0]["last_heard"] is None  # nothing recorded from the broken session
    assert members[0]["pending"] > 0  # and bob is not believed to hold anything
    # a direct session that completes does record it
    serving, port = start_serve(alice)
    try:
        proc_ok(kith_proc(bob, "sync", "connect", f"127.0.0.1:{port}", "--peer", "alice"))
        assert serving.wait(60) == 0, serving.stderr.read() if serving.stderr else ""
    finally:
        serving.kill()
    assert [c["name"] for c in bob.contacts()] == [CONTACT]
    assert status_of(alice)[0]["members"][0]["pending"] == 0  # type: ignore[index]


def test_item3_a_removed_members_edit_forwarded_over_tcp_partitions_no_one(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, carol = pair(tmp_path, passphrase_file, "carol", everyone=True)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    ok(carol.kith("sync", "pull", usb))
    cid = str(carol.contacts()[0]["id"])
    ok(carol.kith("edit", cid[:12], "--org", "Qmkcarollate"))
    ok(carol.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    for round_ in range(2):  # bob learns the removal (carol's edit goes to alice), then edits
        if round_:
            ok(bob.kith("edit", cid[:12], "--role", "Qmkbobrole"))
        serving, port = start_serve(bob)
        try:
            done = proc_ok(kith_proc(alice, "sync", "connect", f"127.0.0.1:{port}", "--peer",
                                     "bob"))
            assert serving.wait(60) == 0, serving.stderr.read() if serving.stderr else ""
        finally:
            serving.kill()
        assert b"refused" not in done.stderr.replace(b"refused 0", b"")
    shown = json.loads(ok(alice.kith("show", cid[:12], "--json")).stdout)
    assert shown["org"] == "" and shown["role"] == "Qmkbobrole"
    for org, other in ((alice, "bob"), (bob, "alice")):  # from the other's final vectors
        [view] = status_of(org)
        pending = {m["name"]: m["pending"] for m in view["members"]}  # type: ignore[union-attr]
        assert pending[other] == 0


def test_item5_connect_refuses_a_peer_label_it_does_not_know(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    serving, port = start_serve(alice)
    try:
        refused = kith_proc(bob, "sync", "connect", f"127.0.0.1:{port}", "--peer", "erin")
        assert refused.returncode == 4 and b"add them first" in refused.stderr
    finally:
        serving.kill()
    names = [p["name"] for p in json.loads(ok(bob.kith("peer", "list", "--json")).stdout)]
    assert names == ["alice"]


def test_item5_an_unverified_peer_is_refused_over_tcp(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, _bob = pair(tmp_path, passphrase_file)
    dave = make_org(tmp_path, "dave", passphrase_file)
    ok(alice.kith("peer", "add", "dave", dave.code()))  # never verified
    ok(dave.kith("peer", "add", "alice", alice.code()))
    ok(dave.kith("peer", "verify", "alice", "--yes"))
    serving, port = start_serve(alice)
    try:
        refused = kith_proc(dave, "sync", "connect", f"127.0.0.1:{port}", "--peer", "alice")
        assert serving.wait(60) == 5  # UnverifiedPeer
        assert b"kith peer verify" in (serving.stderr.read() if serving.stderr else b"")
    finally:
        serving.kill()
    assert refused.returncode == 1 and b"gave up" in refused.stderr
    assert dave.contacts() == []


# -- 9. serve --forever survives junk, within a memory bound ---------------------------------


def _rss_peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def _junk(port: int) -> None:
    """One connection of each kind the issue names, and some more."""
    def send(data: bytes, *, wait: bool = True) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock, (
            contextlib.suppress(OSError)
        ):
                sock.sendall(data)
                if wait:
                    sock.shutdown(socket.SHUT_WR)
                    while sock.recv(4096):
                        pass

    send(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")  # an HTTP probe: "bad frame"
    send(b"")  # connects and hangs up
    send(os.urandom(4096))
    for _ in range(8):  # frames claiming 64 MiB, then 1 MiB of junk
        send(bytes([tcp.BUNDLE]) + (64 << 20).to_bytes(4, "big") + os.urandom(1 << 20))
    send(bytes([tcp.HELLO]) + (64).to_bytes(4, "big") + os.urandom(64))  # a hello of junk


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_item9_serve_forever_survives_junk_unknown_peers_and_silence_within_a_memory_bound(
    tmp_path: Path, passphrase_file: Path
) -> None:
    alice, bob, eve = pair(tmp_path, passphrase_file, "eve")
    stranger = make_org(tmp_path, "stranger", passphrase_file)
    ok(stranger.kith("peer", "add", "alice", alice.code()))
    ok(stranger.kith("peer", "verify", "alice", "--yes"))
    serving = subprocess.Popen(
        [sys.executable, "-m", "tui", "--vault", str(alice.vault_dir), "--passphrase-file",
         str(alice.kith.passphrase_file), "sync", "serve", "--listen", "127.0.0.1:0",
         "--forever"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
        env={**os.environ, "KITH_ALLOW_WEAK_KDF": "1"},
    )
    try:
        assert serving.stdout is not None
        port = int(serving.stdout.readline().decode().rsplit(":", 1)[1])
        # a first real session: the baseline of a server that has done real work
        proc_ok(kith_proc(bob, "sync", "connect", f"127.0.0.1:{port}", "--peer", "alice"))
        baseline = _rss_peak_kib(serving.pid)
        silent = socket.create_connection(("127.0.0.1", port))  # holds the server ~10 s
        _junk(port)
        silent.close()
        unknown = kith_proc(stranger, "sync", "connect", f"127.0.0.1:{port}")  # not alice's peer
        assert unknown.returncode == 1
        for _ in range(3):
            _junk(port)
        # still serving: eve (known, verified) syncs and gets the segment
        proc_ok(kith_proc(eve, "sync", "connect", f"127.0.0.1:{port}", "--peer", "alice"))
        assert [c["name"] for c in eve.contacts()] == [CONTACT]
        peak = _rss_peak_kib(serving.pid)
        assert serving.poll() is None
    finally:
        serving.send_signal(signal.SIGINT)
        try:
            _, err = serving.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            serving.kill()
            _, err = serving.communicate()
    print(f"serve --forever: peak RSS {baseline} KiB after one session, {peak} KiB after junk")
    assert err.count(b"a session failed") >= 4 * 12 + 2
    # 32 frames claimed 64 MiB each; none was ever awaited: the peak grew by under 16 MiB
    assert peak - baseline < 16 * 1024, (baseline, peak)


def test_item9_serve_forever_outlives_a_wait_with_no_connection(
    tmp_path: Path, passphrase_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listening socket's accept deadline (300 s in production) ends no --forever server."""
    from sync import session
    from sync.replica import Replica
    from tests.conftest import PASSPHRASE
    from vault.api import Vault

    alice, _bob = pair(tmp_path, passphrase_file)
    monkeypatch.setattr(tcp, "TIMEOUT", 0.02)  # accept waits TIMEOUT * 10
    failures: list[str] = []
    listening: list[int] = []
    stop = threading.Event()

    def failed(error: object) -> None:
        failures.append(str(error))
        if len(failures) >= 3:
            stop.set()
            raise KeyboardInterrupt  # the test's way to stop the server

    with Vault.open(alice.vault_dir, PASSPHRASE) as vault, contextlib.suppress(KeyboardInterrupt):
        session.serve(lambda: Replica(vault), "127.0.0.1", 0, listening.append,
                      forever=True, on_failure=failed)
    assert stop.is_set() and listening
    assert all("no one connected" in f for f in failures)
