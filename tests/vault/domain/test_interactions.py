"""Interactions (issue 6): validation, the log, history, shredding, the marker test, the CLI."""

from __future__ import annotations

import pytest

from tests.sealed_markers import assert_sealed
from vault.api import Vault
from vault.domain.interactions import KINDS, check_kind, is_outbound_message, make_draft
from vault.domain.model import ContactDraft
from vault.domain.values import iso, parse_moment
from vault.errors import BadDate, InvalidInput, NotFound, UnknownKind


def contact(vault: Vault, name: str = "Ana") -> bytes:
    return bytes.fromhex(vault.contacts.add(ContactDraft(name=name)).id)


# -- values ----------------------------------------------------------------------------------


def test_moments_are_utc_and_strict() -> None:
    assert parse_moment("2026-06-01") == 1780272000
    assert parse_moment("2026-06-01T18:30") == 1780272000 + 18 * 3600 + 30 * 60
    assert iso(parse_moment("2026-06-01")) == "2026-06-01"
    assert iso(parse_moment("2026-06-01T18:30")) == "2026-06-01T18:30"
    for bad in ("2026-6-1", "01/06/2026", "2026-02-30", "2026-06-01T25:00", "2026-06-01 18:30",
                "20260601", "1899-12-31", "", "2026-06-01T18:30Z"):
        with pytest.raises(BadDate):
            parse_moment(bad)


def test_kinds_are_a_closed_list() -> None:
    assert check_kind("Email_Sent") == "email-sent"
    assert set(KINDS) >= {"email-sent", "email-received", "call", "sms", "meeting",
                          "event-attended", "petition-signed", "donation", "note", "custom"}
    with pytest.raises(UnknownKind):
        check_kind("cal")


def test_draft_rules() -> None:
    assert make_draft("email-sent", 0).direction == "out"
    assert make_draft("email-received", 0).direction == "in"
    assert make_draft("call", 0, direction="IN").direction == "in"
    with pytest.raises(InvalidInput):
        make_draft("email-sent", 0, direction="in")
    with pytest.raises(InvalidInput):
        make_draft("call", 0, direction="sideways")
    with pytest.raises(InvalidInput):
        make_draft("donation", 0, amount="10")  # no currency
    with pytest.raises(InvalidInput):
        make_draft("call", 0, amount="10", currency="EUR")  # money only on donations
    with pytest.raises(InvalidInput):
        make_draft("donation", 0, amount="-3", currency="EUR")
    with pytest.raises(InvalidInput):
        make_draft("donation", 0, amount="10", currency="EURO")
    with pytest.raises(InvalidInput):
        make_draft("note", 0, label="x")  # labels only on custom
    gift = make_draft("donation", 0, amount="12.50", currency="eur")
    assert (gift.amount, gift.currency) == ("12.50", "EUR")
    assert make_draft("custom", 0, label=" door knock ").label == "door knock"
    with pytest.raises(InvalidInput):
        make_draft("note", 0, summary="x" * 5000)


def test_outbound_reading() -> None:
    assert is_outbound_message("sms", "")
    assert is_outbound_message("call", "out")
    assert not is_outbound_message("call", "in")
    assert not is_outbound_message("meeting", "")
    assert not is_outbound_message("email-received", "in")


# -- repository ------------------------------------------------------------------------------


def test_log_and_history_newest_first(vault: Vault) -> None:
    ana = contact(vault)
    repo = vault.interactions
    repo.log(ana, make_draft("call", parse_moment("2026-01-02"), summary="first"))
    repo.log(ana, make_draft("donation", parse_moment("2026-03-01"), amount="5", currency="EUR"))
    repo.log(ana, make_draft("note", parse_moment("2026-02-01"), summary="middle"))
    found = repo.history(ana)
    assert [i.kind for i in found] == ["donation", "note", "call"]
    assert found[0].amount == "5" and found[0].contact == ana.hex()
    assert [i.kind for i in repo.history(ana, kind="call")] == ["call"]
    with pytest.raises(UnknownKind):
        repo.history(ana, kind="nope")


def test_log_refuses_unknown_contact_or_event(vault: Vault) -> None:
    ana = contact(vault)
    with pytest.raises(NotFound):
        vault.interactions.log(b"\x01" * 16, make_draft("note", 0))
    with pytest.raises(NotFound):
        vault.interactions.log(ana, make_draft("note", 0), event_id=ana)  # not an event
    assert vault.interactions.count() == 0


def test_shredding_a_contact_shreds_its_history(vault: Vault) -> None:
    ana, bob = contact(vault, "Ana"), contact(vault, "Bob")
    vault.interactions.log(ana, make_draft("note", 0, summary="a"))
    vault.interactions.log(bob, make_draft("note", 0, summary="b"))
    vault.contacts.delete([ana])
    assert vault.interactions.count() == 1
    assert [i.summary for i in vault.interactions.history(bob)] == ["b"]


def test_delete_one_interaction(vault: Vault) -> None:
    ana = contact(vault)
    done = vault.interactions.log(ana, make_draft("note", 0))
    assert vault.interactions.delete(bytes.fromhex(done.id)) == 1
    assert vault.interactions.history(ana) == []
    with pytest.raises(NotFound):
        vault.interactions.delete(ana)


def test_index_facts_open_only_what_the_index_needs(vault: Vault) -> None:
    ana = contact(vault)
    vault.interactions.log(ana, make_draft("petition-signed", 7, campaign="Park", summary="s"))
    facts = list(vault.interactions.index_facts())
    assert [(f.contact, f.kind, f.at, f.campaign) for f in facts] == [
        (ana.hex(), "petition-signed", 7, "Park")
    ]


def test_interaction_text_is_sealed(vault: Vault) -> None:
    ana = contact(vault)
    vault.interactions.log(ana, make_draft(
        "custom", 1, label="Qmilabel1", summary="Qmisummary2", outcome="Qmioutcome3",
        campaign="Qmicampaign4"))
    vault.interactions.log(ana, make_draft("donation", 2, amount="987654.32", currency="XQM"))
    # The currency ("XQM") is not searched for: a 3-byte string turns up by chance in a few
    # hundred KiB of ciphertext about once in 200 runs.
    assert_sealed(vault, ["Qmilabel1", "Qmisummary2", "Qmioutcome3", "Qmicampaign4",
                          "987654.32", "custom", "donation"])
