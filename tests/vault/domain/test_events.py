"""Events (issue 6): validation, sign-ups and capacity, check-in as history, quick sign-up,
shredding, the marker test, the CLI including the door mode."""

from __future__ import annotations

import pytest

from tests.sealed_markers import assert_sealed
from vault.api import Vault
from vault.domain.events import ContactMatcher, make_event
from vault.domain.model import ContactDraft, Email, Phone
from vault.domain.values import parse_moment
from vault.errors import AmbiguousContact, EventFull, InvalidInput, NotFound

START = parse_moment("2026-06-20T18:30")


def contact(vault: Vault, name: str, email: str = "", phone: str = "") -> bytes:
    draft = ContactDraft(name=name, emails=(Email(email),) if email else (),
                         phones=(Phone(phone),) if phone else ())
    return bytes.fromhex(vault.contacts.add(draft).id)


def event(vault: Vault, capacity: int | None = None) -> bytes:
    made = vault.events.create(make_event("Assembly", START, capacity=capacity, place="Hall"))
    return bytes.fromhex(made.id)


def test_event_validation() -> None:
    with pytest.raises(InvalidInput):
        make_event("  ", START)
    with pytest.raises(InvalidInput):
        make_event("X", START, ends=START - 60)
    with pytest.raises(InvalidInput):
        make_event("X", START, capacity=0)
    made = make_event(" Assembly ", START, ends=START + 3600, capacity=5)
    assert (made.name, made.ends, made.capacity) == ("Assembly", START + 3600, 5)


def test_create_list_show(vault: Vault) -> None:
    later = vault.events.create(make_event("Later", START + 86400))
    first = vault.events.create(make_event("First", START, description="two\nlines"))
    assert [e.id for e in vault.events.all()] == [first.id, later.id]
    assert vault.events.get_by_id(bytes.fromhex(first.id)).description == "two\nlines"
    with pytest.raises(NotFound):
        vault.events.resolve("ffffffffffff")


def test_signup_is_idempotent_and_capacity_is_all_or_nothing(vault: Vault) -> None:
    ana, bob, cleo = (contact(vault, n) for n in ("Ana", "Bob", "Cleo"))
    ev = event(vault, capacity=2)
    assert vault.events.signup(ev, [ana]) == [ana]
    assert vault.events.signup(ev, [ana]) == []
    with pytest.raises(EventFull):
        vault.events.signup(ev, [bob, cleo])
    assert vault.events.signups(ev) == [ana]
    with pytest.raises(NotFound):
        vault.events.signup(ev, [bob, b"\x03" * 16])
    assert vault.events.signups(ev) == [ana]


def test_checkin_logs_attendance_once(vault: Vault) -> None:
    ana = contact(vault, "Ana")
    ev = event(vault, capacity=1)
    vault.events.signup(ev, [ana])
    walk_in = contact(vault, "Walk-in")
    assert vault.events.checkin(ev, [ana, walk_in]) == [ana, walk_in]  # capacity limits sign-ups
    assert vault.events.checkin(ev, [ana]) == []
    history = vault.interactions.history(ana)
    assert [(i.kind, i.at, i.event) for i in history] == [("event-attended", START, ev.hex())]
    shown = vault.events.get_by_id(ev)
    assert set(shown.attended) == {ana.hex(), walk_in.hex()} and shown.signups == (ana.hex(),)


def test_shredding_contact_or_event(vault: Vault) -> None:
    ana, bob = contact(vault, "Ana"), contact(vault, "Bob")
    ev = event(vault)
    vault.events.signup(ev, [ana, bob])
    vault.events.checkin(ev, [ana, bob])
    vault.contacts.delete([ana])
    shown = vault.events.get_by_id(ev)
    assert shown.signups == (bob.hex(),) and shown.attended == (bob.hex(),)
    assert vault.interactions.count() == 1
    vault.records.shred([ev])  # the event goes; Bob's history stays, unlinked
    assert [i.event for i in vault.interactions.history(bob)] == [""]


def test_quick_signup_matches_or_creates(vault: Vault) -> None:
    ana = contact(vault, "Ana Lima", email="ana@example.org", phone="+33612345678")
    ev = event(vault)
    matcher = ContactMatcher(vault.contacts.all())
    quick = vault.events.quick_signup
    by_email = quick(ev, vault.contacts, matcher, name="ana", email="ANA@example.org",
                     region="FR")
    assert by_email.contact.id == ana.hex() and not by_email.created
    by_phone = quick(ev, vault.contacts, matcher, name="", phone="06 12 34 56 78", region="FR",
                     checkin=True)
    assert by_phone.contact.id == ana.hex() and by_phone.checked_in
    new = quick(ev, vault.contacts, matcher, name="Cleo", email="cleo@example.org", region="FR")
    assert new.created and new.contact.emails[0].value == "cleo@example.org"
    again = quick(ev, vault.contacts, matcher, name="Cleo", email="cleo@example.org",
                  region="FR")
    assert again.contact.id == new.contact.id and not again.created
    assert vault.contacts.count() == 2
    assert len(vault.events.signups(ev)) == 2
    with pytest.raises(InvalidInput):
        quick(ev, vault.contacts, matcher, name="Nobody", region="FR")
    with pytest.raises(InvalidInput):
        quick(ev, vault.contacts, matcher, name="", email="new@example.org", region="FR")
    with pytest.raises(InvalidInput):
        quick(ev, vault.contacts, matcher, name="X", email="not-an-email", region="FR")


def test_quick_signup_refuses_to_guess(vault: Vault) -> None:
    contact(vault, "Ana", email="shared@example.org")
    contact(vault, "Bob", email="shared@example.org")
    ev = event(vault)
    matcher = ContactMatcher(vault.contacts.all())
    with pytest.raises(AmbiguousContact):
        vault.events.quick_signup(ev, vault.contacts, matcher, name="A",
                                  email="shared@example.org", region="FR")
    assert vault.events.signups(ev) == []


def test_quick_signup_on_a_full_event(vault: Vault) -> None:
    ev = event(vault, capacity=1)
    matcher = ContactMatcher([])
    vault.events.quick_signup(ev, vault.contacts, matcher, name="A", email="a@example.org",
                              region="FR")
    with pytest.raises(EventFull):
        vault.events.quick_signup(ev, vault.contacts, matcher, name="B",
                                  email="b@example.org", region="FR")
    assert vault.contacts.count() == 1  # refused before anything was created
    at_door = vault.events.quick_signup(ev, vault.contacts, matcher, name="B",
                                        email="b@example.org", region="FR", checkin=True)
    assert at_door.checked_in and len(vault.events.attendees(ev)) == 1


def test_event_text_is_sealed(vault: Vault) -> None:
    vault.events.create(make_event("Qmename1", START, place="Qmeplace2", capacity=987,
                                   description="Qmedesc3"))
    assert_sealed(vault, ["Qmename1", "Qmeplace2", "Qmedesc3"])
