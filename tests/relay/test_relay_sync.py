"""Sync through the real relay process: three vaults, a restart, a full quota, an expired TTL,
and the relay's storage scanned for plaintext (none), over SQLite and PostgreSQL.

The vaults run the sync commands in-process (fast), except where a real ``kith`` process is
the point; the relay is always a real process on loopback.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from sync import relay_runner
from sync.errors import RelayUnreachable
from sync.replica import Replica
from sync.transports.relay import RelayClient
from tests.conftest import PASSPHRASE, run_kith_process
from tests.relay.conftest import Backend, RelayProcess, start_relay
from tests.sync.pair import CONTACT, EMAIL, NOTE, Org, ok, pair
from vault.api import Vault

pytestmark = pytest.mark.slow  # real relay processes and three vaults: seconds per test

ORG = "Qmkrelayorg5e1"
ROLE = "Qmkrelayrole8a2"


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


def _show(org: Org) -> dict[str, object]:
    [one] = org.contacts()
    shown: dict[str, object] = json.loads(ok(org.kith("show", str(one["id"]), "--json")).stdout)
    return shown


def test_three_vaults_sync_through_the_relay_which_holds_no_plaintext(
    tmp_path: Path, passphrase_file: Path, relay: RelayProcess, backend: Backend
) -> None:
    alice, bob, carol = pair(tmp_path, passphrase_file, "carol")
    target = relay.target
    pushed = ok(alice.kith("sync", "push", target)).stderr
    assert "wrote 3 file(s)" in pushed  # the bundle, and a welcome each for bob and carol
    for org in (bob, carol):
        ok(org.kith("sync", "pull", target))
        assert _show(org)["notes"] == NOTE
    # bob edits; carol (who never met bob) and alice take it from the relay
    cid = str(bob.contacts()[0]["id"])[:12]
    ok(bob.kith("edit", cid, "--org", ORG))
    ok(bob.kith("sync", "push", target))
    ok(carol.kith("edit", cid, "--role", ROLE))
    ok(carol.kith("sync", "push", target))
    for _ in range(2):
        for org in (alice, bob, carol):
            ok(org.kith("sync", "pull", target))
            ok(org.kith("sync", "push", target))
    views = [_show(org) for org in (alice, bob, carol)]
    assert all(v["org"] == ORG and v["role"] == ROLE for v in views)
    for view in views:  # the same contact everywhere (times are each device's own)
        view.pop("created"), view.pop("updated")
    assert views[0] == views[1] == views[2]
    # a pull with nothing new takes nothing
    assert "took 0 file(s)" in ok(carol.kith("sync", "pull", target)).stderr
    # (the PostgreSQL cluster is shared by a worker's tests: other tests' public intake form
    # titles are in its WAL, so no test there may publish a form titled "Tenants")
    assert backend.holding([CONTACT, EMAIL, NOTE, ORG, ROLE, "Tenants", "alice", "bob"]) == []
    stored = _all_items(backend)
    assert stored and all(i[:8] in (b"KITHSYN1", b"KITHWEL1") for i in stored)
    assert all(len(i) >= 4096 for i in stored if i[:8] == b"KITHSYN1")  # padded bundles
    # carol is removed: the key rotates, and with it the mailboxes she could derive
    ok(alice.kith("segment", "unshare", "Tenants", "carol"))
    ok(alice.kith("edit", cid, "--org", "Qmkrelayafter6"))
    ok(alice.kith("sync", "push", target))
    ok(bob.kith("sync", "pull", target))
    assert _show(bob)["org"] == "Qmkrelayafter6"
    carol.kith("sync", "pull", target)  # whatever it reports, it cannot read the new epoch
    assert _show(carol)["org"] == ORG
    assert backend.holding(["Qmkrelayafter6"]) == []


def test_a_relay_restarted_mid_sync_loses_nothing(
    tmp_path: Path, passphrase_file: Path, relay: RelayProcess
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    ok(alice.kith("segment", "create", "Drivers"))
    did = ok(alice.kith("add", "--name", "Qmkrelaydriver3")).stdout.strip()
    ok(alice.kith("segment", "add", "Drivers", did))
    ok(alice.kith("segment", "share", "Drivers", "bob"))
    # a push cut off after its first confirmed write (the relay went away)
    vault = Vault.open(alice.vault_dir, PASSPHRASE)
    try:
        replica = Replica(vault)
        cut = _CutAfter(relay.url, writes=1)
        with pytest.raises(RelayUnreachable):
            relay_runner.push_relay(replica, cut)
        cut.close()
    finally:
        vault.lock()
    relay.kill()  # SIGKILL: no clean shutdown
    refused = bob.kith("sync", "pull", relay.target)
    assert refused.exit_code == 1 and "did not answer" in refused.stderr
    assert bob.contacts() == []
    relay.start()  # same port, same storage
    pushed = ok(alice.kith("sync", "push", relay.target))
    assert "wrote 3 file(s)" in pushed.stderr  # the three writes the relay never confirmed
    env = {"KITH_VAULT": str(bob.vault_dir), "KITH_PASSPHRASE_FILE": str(passphrase_file)}
    pulled = run_kith_process("sync", "pull", relay.target, env=env)  # a real kith process
    assert pulled.returncode == 0, pulled.stderr
    assert sorted(str(c["name"]) for c in bob.contacts()) == sorted([CONTACT, "Qmkrelaydriver3"])


class _CutAfter(RelayClient):
    """A client whose relay stops answering after ``writes`` confirmed writes."""

    def __init__(self, url: str, writes: int) -> None:
        super().__init__(url)
        self.left = writes

    def put(self, mailbox: bytes, token: bytes, data: bytes) -> int:
        if self.left == 0:
            raise RelayUnreachable("(cut)")
        self.left -= 1
        return super().put(mailbox, token, data)


def test_a_full_mailbox_refuses_and_keeps_what_was_confirmed(
    tmp_path: Path, passphrase_file: Path, backend: Backend, relay_factory: list[RelayProcess]
) -> None:
    relay = start_relay(backend, relay_factory, "--quota-items", "2")
    alice, bob = pair(tmp_path, passphrase_file)
    ok(alice.kith("sync", "push", relay.target))  # the bundle; the welcome has its own mailbox
    cid = str(alice.contacts()[0]["id"])[:12]
    ok(alice.kith("edit", cid, "--org", ORG))
    ok(alice.kith("sync", "push", relay.target))  # the segment mailbox now holds 2 items
    ok(alice.kith("edit", cid, "--role", ROLE))
    full = alice.kith("sync", "push", relay.target)
    assert full.exit_code == 1 and "mailbox is full" in full.stderr
    ok(bob.kith("sync", "pull", relay.target))
    shown = _show(bob)
    assert shown["org"] == ORG and shown["role"] == ""  # everything confirmed, nothing else


def test_items_expire_after_the_ttl(
    tmp_path: Path, passphrase_file: Path, backend: Backend, relay_factory: list[RelayProcess]
) -> None:
    relay = start_relay(backend, relay_factory, "--ttl-seconds", "1", "--sweep-seconds", "0.2")
    alice, bob = pair(tmp_path, passphrase_file)
    ok(alice.kith("sync", "push", relay.target))
    store = backend.open()
    try:
        deadline = time.monotonic() + 60
        while _items(backend, store) and time.monotonic() < deadline:
            time.sleep(0.1)  # waiting on the relay's state, bounded
        assert _items(backend, store) == 0
    finally:
        store.close()
    assert "took 0 file(s)" in ok(bob.kith("sync", "pull", relay.target)).stderr
    assert bob.contacts() == []


def _all_items(backend: Backend) -> list[bytes]:
    store = backend.open()
    try:
        with store._tx() as cur:
            cur.execute("SELECT data FROM items")
            return [bytes(row[0]) for row in cur.fetchall()]
    finally:
        store.close()


def _items(backend: Backend, store: object) -> int:
    with store._tx() as cur:  # type: ignore[attr-defined]
        cur.execute("SELECT COUNT(*) FROM items")
        return int(cur.fetchone()[0])


def test_unsafe_relay_addresses_are_refused_before_unlocking(
    tmp_path: Path, passphrase_file: Path
) -> None:
    [alice, _] = pair(tmp_path, passphrase_file)
    for bad in ("relay:http://relay.example.org", "relay:ftp://127.0.0.1", "relay:",
                "relay:https://x.example/?a=1"):
        refused = alice.kith("sync", "push", bad)
        assert refused.exit_code == 5 and "Not a relay address" in refused.stderr, bad
