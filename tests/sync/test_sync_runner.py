"""The runner against real vaults: every bad bundle is refused whole, good ones are idempotent,
order does not matter, and a crash mid-apply leaves the vault as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sync import bundle, runner
from sync import sending as outbox
from sync.errors import BadBundle, BadSignature, BundleTooLarge
from sync.replica import Replica
from sync.welcome import make_welcome, open_welcome
from tests.conftest import PASSPHRASE
from tests.sync.helpers import identity
from tests.sync.pair import CONTACT, Org, ok, pair
from vault.api import Vault
from vault.core.records import RecordStore


@pytest.fixture(autouse=True)
def _cheap_vaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KITH_ALLOW_WEAK_KDF", "1")
    monkeypatch.delenv("KITH_PASSPHRASE_FILE", raising=False)


@pytest.fixture
def orgs(tmp_path: Path, passphrase_file: Path) -> list[Org]:
    alice, bob = pair(tmp_path, passphrase_file)
    usb = str(tmp_path / "usb")
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))  # bob now holds the segment and its key
    return [alice, bob]


def opened(org: Org) -> Iterator[tuple[Vault, Replica]]:
    vault = Vault.open(org.vault_dir, PASSPHRASE)
    try:
        yield vault, Replica(vault)
    finally:
        vault.lock()


def edit_bundles(alice: Org, bob: Org, org_value: str) -> list[bytes]:
    """alice edits the contact; the bundles bob lacks."""
    cid = str(alice.contacts()[0]["id"])
    ok(alice.kith("edit", cid[:12], "--org", org_value))
    for _, b in opened(bob):
        theirs = next(iter(b.state.segments.values())).vector()
    for _, a in opened(alice):
        return outbox.bundles_for(next(iter(a.state.segments.values())), theirs)
    raise AssertionError


def snapshot(org: Org) -> tuple[list[dict[str, object]], bytes]:
    for vault, replica in opened(org):
        [state] = replica.state.segments.values()
        return org.contacts(), state.to_bytes() + vault.vault_id
    raise AssertionError


def take(org: Org, data: bytes) -> runner.Received:
    for _, replica in opened(org):
        return runner.receive(replica, data, runner.now_ms())
    raise AssertionError


def test_tampered_truncated_oversized_forged_apply_nothing(orgs: list[Org]) -> None:
    alice, bob = orgs
    [good] = edit_bundles(alice, bob, "Union")
    before = snapshot(bob)
    cases = [good[:-1], good[:100], good + b"\0", good[:60] + bytes([good[60] ^ 1]) + good[61:]]
    cases += [good[:-5] + bytes([good[-5] ^ 0x80]) + good[-4:]]
    for bad in cases:
        got = take(bob, bad)
        assert not got.applied and isinstance(got.error, BadBundle)
        assert "nothing was applied" in got.error.message
    huge = take(bob, bytes(bundle.MAX_BUNDLE_BYTES + 1))
    assert isinstance(huge.error, BundleTooLarge) and huge.step == "size limits"
    # forged: a valid op whose signature was changed, sealed under the real segment key
    for _, a in opened(alice):
        state = next(iter(a.state.segments.values()))
        last = state.log[-1].op.wire
        forged = bundle.seal(state.write_key(), [last[:-1] + bytes([last[-1] ^ 1])], {})
    got = take(bob, forged)
    assert isinstance(got.error, BadSignature) and got.step == "signature"
    assert snapshot(bob) == before


def test_replayed_and_reordered_bundles(orgs: list[Org]) -> None:
    alice, bob = orgs
    [first] = edit_bundles(alice, bob, "One")
    cid = str(alice.contacts()[0]["id"])
    ok(alice.kith("edit", cid[:12], "--role", "Two"))
    for _, a in opened(alice):
        state = next(iter(a.state.segments.values()))
        head = state.log[-1].op
        second = bundle.seal(state.write_key(), [head.wire], state.vector())
    assert take(bob, second).applied  # arrives first: waits in the gap buffer
    assert bob.contacts()[0]["role"] == ""
    assert take(bob, first).applied
    view = bob.contacts()[0]
    assert (view["org"], view["role"]) == ("One", "Two")
    before = snapshot(bob)
    again = take(bob, first)
    assert again.applied and again.accepted == 0 and again.replayed >= 1
    assert snapshot(bob) == before


def test_crash_mid_apply_leaves_the_vault_as_before(
    orgs: list[Org], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = orgs
    [good] = edit_bundles(alice, bob, "Crash")
    before = snapshot(bob)

    def boom(self: RecordStore, record_id: bytes, changes: object) -> None:
        raise RuntimeError("power cut")

    with monkeypatch.context() as patch:
        patch.setattr(RecordStore, "update", boom)
        with pytest.raises(RuntimeError):
            take(bob, good)
    assert snapshot(bob) == before
    assert take(bob, good).applied
    assert bob.contacts()[0]["org"] == "Crash" and bob.contacts()[0]["name"] == CONTACT


def test_welcome_is_for_one_recipient_only() -> None:
    alice, bob, eve = identity("alice"), identity("bob"), identity("eve")
    data = make_welcome(alice, bob.signing_public, bob.box_public, bytes(16), alice.signing_public,
                        "Tenants", [(0, bytes(range(32)))])
    got = open_welcome(bob, data)
    assert got.sender == alice.signing_public and got.keys == ((0, bytes(range(32))),)
    with pytest.raises(BadBundle):
        open_welcome(eve, data)
    for i in (len(data) - 1, 12, 9):
        with pytest.raises(BadBundle):
            open_welcome(bob, data[:i] + bytes([data[i] ^ 1]) + data[i + 1 :])
    # it looks like a small bundle: same magic, a bundle's size (issue 11)
    assert data[:8] == b"KITHSYN1" and len(data) == 4178
    # a welcome re-addressed (sealed to eve's box but naming bob) is refused
    wrong = make_welcome(alice, bob.signing_public, eve.box_public, bytes(16),
                         alice.signing_public, "Tenants", [])
    with pytest.raises(BadBundle):
        open_welcome(eve, wrong)


def test_a_delete_drops_the_record_plaintext_from_both_logs(
    orgs: list[Org], tmp_path: Path
) -> None:
    alice, bob = orgs
    usb = str(tmp_path / "usb")
    cid = str(alice.contacts()[0]["id"])
    for org in orgs:
        for _, replica in opened(org):
            [segment_id] = replica.state.segments
            assert any(CONTACT.encode() in item for item in replica.store.log_items(segment_id))
    ok(alice.kith("delete", cid[:12], "--yes"))
    ok(alice.kith("sync", "push", usb))
    ok(bob.kith("sync", "pull", usb))
    assert bob.contacts() == []
    for org in orgs:
        for _, replica in opened(org):
            [segment_id] = replica.state.segments
            items = replica.store.log_items(segment_id)
            assert items and not any(CONTACT.encode() in item for item in items)
            # the chain still loads and verifies, and the tombstone survives a re-fold
            state = replica.state.segments[segment_id]
            merged = state.merge.get(bytes.fromhex(cid))
            assert merged is not None and merged.deleted is not None
