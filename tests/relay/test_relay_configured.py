"""Plain ``kith sync`` through relays configured per peer and per segment (issue 16).

Three vaults sync with nothing but ``kith sync`` through a real relay process on loopback; the
relay is restarted (SIGKILL) in the middle of a sync; with the relay down, ``kith sync`` says
so in one line, exits 1 (retry later) and leaves nothing half-applied.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sync import relay_runner
from sync.bundle import MAX_BUNDLE_BYTES
from sync.errors import RelayUnreachable
from sync.replica import Replica
from tests.conftest import PASSPHRASE, run_kith_process
from tests.relay.conftest import RelayProcess
from tests.sync.pair import CONTACT, NOTE, Org, ok, pair
from vault.api import Vault

pytestmark = pytest.mark.slow  # a real relay process and three vaults

ORG = "Qmkcfgorg3b7"
ROLE = "Qmkcfgrole9d1"
LATER = "Qmkcfglater5e2"


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


def _show(org: Org) -> dict[str, object]:
    [one] = org.contacts()
    shown: dict[str, object] = json.loads(ok(org.kith("show", str(one["id"]), "--json")).stdout)
    shown.pop("created"), shown.pop("updated")
    return shown


def test_three_vaults_sync_with_plain_kith_sync(
    tmp_path: Path, passphrase_file: Path, sqlite_relay: RelayProcess
) -> None:
    alice, bob, carol = pair(tmp_path, passphrase_file, "carol")
    target = sqlite_relay.target
    unconfigured = alice.kith("sync")
    assert unconfigured.exit_code == 2 and "no relay is configured" in unconfigured.stderr
    ok(alice.kith("sync", "relay", "set", "--peer", "bob", target))
    ok(alice.kith("sync", "relay", "set", "--peer", "carol", target))
    ok(bob.kith("sync", "relay", "set", "--peer", "alice", target))
    ok(carol.kith("sync", "relay", "set", "--peer", "alice", target))
    listed = json.loads(ok(alice.kith("sync", "relay", "list", "--json")).stdout)
    assert listed == [{"kind": "peer", "name": "bob", "relay": sqlite_relay.url},
                      {"kind": "peer", "name": "carol", "relay": sqlite_relay.url}]
    assert "wrote 3 file(s)" in ok(alice.kith("sync")).stderr  # a bundle, two welcomes
    for org in (bob, carol):
        ok(org.kith("sync"))
        assert _show(org)["notes"] == NOTE
    # carol now holds the segment: she configures it by segment instead of by peer
    ok(carol.kith("sync", "relay", "set", "--segment", "Tenants", target))
    ok(carol.kith("sync", "relay", "unset", "--peer", "alice"))
    assert json.loads(ok(carol.kith("sync", "relay", "list", "--json")).stdout) == [
        {"kind": "segment", "name": "Tenants", "relay": sqlite_relay.url}]
    gone = carol.kith("sync", "relay", "unset", "--peer", "alice")
    assert gone.exit_code == 4 and "No relay is configured" in gone.stderr
    cid = str(bob.contacts()[0]["id"])[:12]
    ok(bob.kith("edit", cid, "--org", ORG))
    ok(bob.kith("sync"))
    ok(carol.kith("edit", cid, "--role", ROLE))
    ok(carol.kith("sync"))
    for _ in range(2):
        for org in (alice, bob, carol):
            ok(org.kith("sync"))
    views = [_show(org) for org in (alice, bob, carol)]
    assert views[0]["org"] == ORG and views[0]["role"] == ROLE
    assert views[0] == views[1] == views[2]
    # a real kith process, as a user (or cron) runs it
    env = {"KITH_VAULT": str(carol.vault_dir), "KITH_PASSPHRASE_FILE": str(passphrase_file)}
    done = run_kith_process("sync", env=env)
    assert done.returncode == 0, done.stderr
    assert b"took 0 file(s)" in done.stderr
    # unsafe addresses are refused before anything is stored
    bad = alice.kith("sync", "relay", "set", "--peer", "bob", "relay:http://relay.example.org")
    assert bad.exit_code == 5 and "Not a relay address" in bad.stderr
    both = alice.kith("sync", "relay", "set", "--peer", "bob", "--segment", "Tenants", target)
    assert both.exit_code == 2


def test_a_relay_restart_mid_sync_and_a_relay_down(
    tmp_path: Path, passphrase_file: Path, sqlite_relay: RelayProcess,
    monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    target = sqlite_relay.target
    ok(alice.kith("sync", "relay", "set", "--peer", "bob", target))
    ok(bob.kith("sync", "relay", "set", "--peer", "alice", target))
    ok(alice.kith("segment", "create", "Drivers"))
    did = ok(alice.kith("add", "--name", "Qmkcfgdriver4")).stdout.strip()
    ok(alice.kith("segment", "add", "Drivers", did))
    ok(alice.kith("segment", "share", "Drivers", "bob"))

    class Killing(relay_runner.RelayClient):
        """The relay is SIGKILLed right after the first write it confirmed."""

        def put(self, mailbox: bytes, token: bytes, data: bytes) -> int:
            seq = super().put(mailbox, token, data)
            sqlite_relay.kill()
            return seq

    with monkeypatch.context() as patch:
        patch.setattr(relay_runner, "RelayClient", Killing)
        cut = alice.kith("sync")
    assert cut.exit_code == 1, cut.stderr
    assert _one_line(cut.stderr)
    sqlite_relay.start()  # same port, same storage
    rest = ok(alice.kith("sync")).stderr  # the three writes the relay never confirmed
    assert "wrote 3 file(s)" in rest, rest
    ok(bob.kith("sync"))
    assert sorted(str(c["name"]) for c in bob.contacts()) == sorted([CONTACT, "Qmkcfgdriver4"])

    # the relay dies while bob is reading: nothing half-applied, the next sync takes it all
    cid = str(next(c for c in alice.contacts() if c["name"] == CONTACT)["id"])[:12]
    ok(alice.kith("edit", cid, "--org", ORG))
    ok(alice.kith("sync"))
    ok(alice.kith("edit", cid, "--role", ROLE))
    ok(alice.kith("sync"))

    class KillingOnRead(relay_runner.RelayClient):
        """The relay is SIGKILLed as the first item is read."""

        def get(self, mailbox: bytes, token: bytes, seq: int,
                limit: int = MAX_BUNDLE_BYTES) -> bytes | None:
            sqlite_relay.kill()
            return super().get(mailbox, token, seq, limit)

    with monkeypatch.context() as patch:
        patch.setattr(relay_runner, "RelayClient", KillingOnRead)
        cut = bob.kith("sync")
    assert cut.exit_code == 1 and _one_line(cut.stderr)
    tenants = next(c for c in bob.contacts() if c["name"] == CONTACT)
    seen = _show_one(bob, tenants)
    assert (seen["org"], seen["role"]) in {("", ""), (ORG, ""), (ORG, ROLE)}  # whole bundles
    sqlite_relay.start()
    ok(bob.kith("sync"))
    seen = _show_one(bob, tenants)
    assert (seen["org"], seen["role"]) == (ORG, ROLE)

    # the relay is down: one line, exit 1, nothing half-applied
    cid = str(alice.contacts()[0]["id"])[:12]
    ok(alice.kith("edit", cid, "--org", LATER))
    with Vault.open(alice.vault_dir, PASSPHRASE) as vault:
        before = Replica(vault).status.to_json()
    sqlite_relay.kill()
    down = alice.kith("sync")
    assert down.exit_code == 1
    assert _one_line(down.stderr)
    env = {"KITH_VAULT": str(bob.vault_dir), "KITH_PASSPHRASE_FILE": str(passphrase_file)}
    process = run_kith_process("sync", env=env)  # a real process: the same line and code
    assert process.returncode == 1
    assert _one_line(process.stderr.decode())
    with Vault.open(alice.vault_dir, PASSPHRASE) as vault:
        after = Replica(vault).status.to_json()
    assert json.loads(after)["folders"] == json.loads(before)["folders"]  # nothing marked sent
    sqlite_relay.start()
    ok(alice.kith("sync"))
    ok(bob.kith("sync"))
    assert LATER in {str(_show_one(bob, c)["org"]) for c in bob.contacts()}


def _show_one(org: Org, contact: dict[str, object]) -> dict[str, object]:
    shown: dict[str, object] = json.loads(ok(org.kith("show", str(contact["id"]), "--json")
                                             ).stdout)
    return shown


def _one_line(stderr: str) -> bool:
    """The relay's error, alone, on one line (the detail names the kind of failure)."""
    head = "kith: " + RelayUnreachable().message.rstrip(".")
    lines = [line for line in stderr.splitlines() if line.strip()]
    return len(lines) == 1 and lines[0].startswith(head)


def test_a_relay_set_for_one_segment_carries_only_that_segment(
    tmp_path: Path, passphrase_file: Path, sqlite_relay: RelayProcess
) -> None:
    alice, bob = pair(tmp_path, passphrase_file)
    ok(alice.kith("segment", "create", "Drivers"))
    did = ok(alice.kith("add", "--name", "Qmkcfgdriver7")).stdout.strip()
    ok(alice.kith("segment", "add", "Drivers", did))
    ok(alice.kith("segment", "share", "Drivers", "bob"))
    ok(alice.kith("sync", "relay", "set", "--segment", "Drivers", sqlite_relay.target))
    ok(bob.kith("sync", "relay", "set", "--peer", "alice", sqlite_relay.target))
    pushed = ok(alice.kith("sync")).stderr
    assert "wrote 2 file(s)" in pushed  # Drivers' bundle and its welcome; not Tenants
    ok(bob.kith("sync"))
    assert [str(c["name"]) for c in bob.contacts()] == ["Qmkcfgdriver7"]
