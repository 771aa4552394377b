"""Mailbox ids and tokens: derived from keys the relay never sees, rotated by epoch and week;
relay addresses that would leak tokens in clear are refused."""

from __future__ import annotations

import pytest

from sync.bundle import SegmentKey
from sync.errors import BadRelayAddress
from sync.relay_ids import PERIOD_SECONDS, periods, segment_mailbox, welcome_mailbox
from sync.transports.relay import parse_address
from tests.sync.helpers import identity

KEY = SegmentKey(b"s" * 16, 0, b"k" * 32)


def test_segment_mailboxes_rotate_with_the_epoch_and_the_week() -> None:
    box, token = segment_mailbox(KEY, 100)
    assert len(box) == 16 and len(token) == 32 and token[:16] != box
    assert segment_mailbox(KEY, 100) == (box, token)  # every member derives the same
    others = [
        segment_mailbox(KEY, 101),
        segment_mailbox(SegmentKey(b"s" * 16, 1, b"k" * 32), 100),  # next epoch
        segment_mailbox(SegmentKey(b"s" * 16, 0, b"j" * 32), 100),  # another key
        segment_mailbox(SegmentKey(b"t" * 16, 0, b"k" * 32), 100),  # another segment
    ]
    assert len({box, *(b for b, _ in others)}) == 5
    assert len({token, *(t for _, t in others)}) == 5


def test_a_pair_mailbox_is_the_same_from_both_ends_and_nobody_elses() -> None:
    alice, bob, carol = identity("alice"), identity("bob"), identity("carol")
    sent = welcome_mailbox(alice, bob.box_public, alice.signing_public, bob.signing_public, 7)
    seen = welcome_mailbox(bob, alice.box_public, alice.signing_public, bob.signing_public, 7)
    assert sent == seen
    # carol knows both public keys but not the shared secret
    guess = welcome_mailbox(carol, bob.box_public, alice.signing_public, bob.signing_public, 7)
    assert guess != sent
    back = welcome_mailbox(bob, alice.box_public, bob.signing_public, alice.signing_public, 7)
    assert back != sent  # each direction has its own mailbox


def test_periods_cover_the_ttl() -> None:
    now = 10 * PERIOD_SECONDS + 5
    assert periods(now, 0) == [10]
    assert periods(now, 14 * 86_400) == [8, 9, 10]


@pytest.mark.parametrize("address", [
    "relay:http://127.0.0.1:8080", "relay:http://localhost", "relay:http://[::1]:9",
    "relay:https://relay.example.org", "relay:http://" + "a" * 56 + ".onion",
])
def test_safe_addresses(address: str) -> None:
    assert parse_address(address) == address[len("relay:"):]


@pytest.mark.parametrize("address", [
    "relay:http://relay.example.org", "relay:http://10.0.0.2", "relay:ftp://127.0.0.1",
    "relay:https://", "relay:https://x.example/#f", "relay:https://x.example/?q=1", "relay:",
])
def test_unsafe_addresses(address: str) -> None:
    with pytest.raises(BadRelayAddress):
        parse_address(address)
