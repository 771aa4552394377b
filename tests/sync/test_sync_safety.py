"""Safety numbers, invitation codes and the peer book."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.errors import BadInvitation, PeerKeyChanged
from sync.peers import PeerBook
from sync.safety import ALPHABET, invitation_code, parse_invitation, safety_number

ANA = (b"\x01" * 32, b"\x02" * 32)
BEN = (b"\x03" * 32, b"\x04" * 32)


def test_safety_number_is_the_same_on_both_sides_and_60_digits() -> None:
    number = safety_number(ANA, BEN)
    assert number == safety_number(BEN, ANA)
    groups = number.split(" ")
    assert len(groups) == 12 and all(len(g) == 5 and g.isdigit() for g in groups)
    assert number == GOLDEN_SAFETY


GOLDEN_SAFETY = "82540 67020 53805 38306 60246 56213 16508 21445 37187 67047 97182 64738"


def test_either_key_changes_the_number() -> None:
    number = safety_number(ANA, BEN)
    assert safety_number(ANA, (BEN[0], b"\x05" * 32)) != number
    assert safety_number((b"\x06" * 32, ANA[1]), BEN) != number


def test_invitation_round_trip_and_layout() -> None:
    code = invitation_code(*ANA)
    assert code.startswith("KITH-") and len(code) == 5 + 112 + 27
    assert parse_invitation(code) == parse_invitation(
        code.lower().replace("-", " ").replace("kith ", "KITH-")
    )
    invite = parse_invitation(code)
    assert (invite.signing_public, invite.box_public) == ANA


def test_crockford_aliases_are_read_as_digits() -> None:
    code = invitation_code(*BEN)
    body = code[5:]
    aliased = body.replace("0", "O").replace("1", "L")
    assert parse_invitation("KITH-" + aliased) == parse_invitation(code)


@settings(max_examples=100)
@given(st.integers(5, 143), st.sampled_from(ALPHABET))
def test_any_single_typo_is_caught(position: int, symbol: str) -> None:
    code = invitation_code(*ANA)
    if code[position] == "-" or code[position] == symbol:
        return
    typo = code[:position] + symbol + code[position + 1 :]
    with pytest.raises(BadInvitation):
        parse_invitation(typo)


@pytest.mark.parametrize(
    "code",
    [
        "",
        "KITH-",
        "KITH-" + "0" * 112,
        "kath-" + invitation_code(*ANA)[5:],
        invitation_code(*ANA) + "0",
        invitation_code(*ANA)[:-1],
        invitation_code(*ANA)[:-1] + "U",
        "KITH-" + "-" * 1000,
    ],
)
def test_parse_is_strict(code: str) -> None:
    with pytest.raises(BadInvitation):
        parse_invitation(code)


def test_peer_book_halts_on_a_changed_key_until_verified_again() -> None:
    book = PeerBook()
    peer = book.observe("ben", *BEN)
    assert not peer.verified and book.may_sync("ben")
    with pytest.raises(PeerKeyChanged):
        book.verify("ben", ANA, "00000 " * 12)
    assert book.verify("ben", ANA, safety_number(ANA, BEN)).verified
    assert book.observe("ben", *BEN).verified
    new_keys = (b"\x07" * 32, BEN[1])
    with pytest.raises(PeerKeyChanged):
        book.observe("ben", *new_keys)
    assert not book.may_sync("ben") and not book.peers["ben"].verified
    with pytest.raises(PeerKeyChanged):
        book.observe("ben", *BEN)  # the old key again does not lift the halt
    with pytest.raises(PeerKeyChanged):
        book.observe("ben", *new_keys)
    book.verify("ben", ANA, safety_number(ANA, new_keys).replace(" ", ""))
    assert book.may_sync("ben") and book.observe("ben", *new_keys).verified
