"""Preferences and consent (issue 6): opt-in, rule specificity, do-not-contact, frequency,
``may_contact``, the consent log, shredding, the marker test, the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.sealed_markers import assert_sealed
from vault.api import Vault
from vault.domain import preferences
from vault.domain.interactions import make_draft
from vault.domain.model import ContactDraft
from vault.domain.preferences import PreferenceChange, Preferences, frequency_ok, parse_rule
from vault.domain.values import DAY, parse_moment
from vault.errors import InvalidInput, NotFound, UnknownChannel

NOW = parse_moment("2026-06-10")


def contact(vault: Vault, name: str) -> bytes:
    return bytes.fromhex(vault.contacts.add(ContactDraft(name=name)).id)


def change(vault: Vault, who: bytes, **kw: object) -> Preferences:
    return vault.preferences.change(who, PreferenceChange(**kw), now=NOW)  # type: ignore[arg-type]


def test_rules_parse_strictly() -> None:
    assert parse_rule("SMS:Events") == "sms:events"
    assert parse_rule("in_person") == "in-person"
    for bad in ("fax", "sms:gossip", "", ":events", "sms:"):
        with pytest.raises(UnknownChannel):
            parse_rule(bad)


def test_nothing_recorded_means_nothing_allowed() -> None:
    empty = Preferences("x")
    assert not empty.recorded
    assert not any(empty.allows(c, k) for c in preferences.CHANNELS
                   for k in preferences.MESSAGE_KINDS)


def test_most_specific_rule_wins_and_dnc_overrides(vault: Vault) -> None:
    ana = contact(vault, "Ana")
    prefs = change(vault, ana, allow=("email",), deny=("email:fundraising",))
    assert prefs.allows("email", "news") and not prefs.allows("email", "fundraising")
    prefs = change(vault, ana, deny=("sms",), allow=("sms:events",))
    assert prefs.allows("sms", "events") and not prefs.allows("sms", "news")
    prefs = change(vault, ana, allow=("email:fundraising",))  # the same rule again replaces it
    assert prefs.allows("email", "fundraising")
    prefs = change(vault, ana, do_not_contact=True)
    assert not prefs.allows("email", "news") and prefs.do_not_contact
    prefs = change(vault, ana, do_not_contact=False)
    assert prefs.allows("email", "news")
    with pytest.raises(InvalidInput):
        change(vault, ana, allow=("sms",), deny=("sms",))


def test_frequency_limit() -> None:
    assert frequency_ok("", NOW, NOW)
    assert frequency_ok("weekly", None, NOW)
    assert not frequency_ok("weekly", NOW - 6 * DAY, NOW)
    assert frequency_ok("weekly", NOW - 7 * DAY, NOW)
    assert not frequency_ok("monthly", NOW - 29 * DAY, NOW)
    assert not frequency_ok("daily", NOW - 3600, NOW)


def test_consent_log_is_appended_never_rewritten(vault: Vault) -> None:
    ana = contact(vault, "Ana")
    change(vault, ana, allow=("email",), consent_source="web form", consent_by="Zoe",
           consent_text="I agree to hear about events", consent_at=parse_moment("2026-01-05"))
    prefs = change(vault, ana, max_frequency="weekly")
    assert [c.changes for c in prefs.consent] == [("allow email",), ("max-frequency weekly",)]
    first = prefs.consent[0]
    assert (first.at, first.source, first.by) == (parse_moment("2026-01-05"), "web form", "Zoe")
    assert vault.preferences.get(ana).consent == prefs.consent
    assert change(vault, ana, max_frequency="none").max_frequency == ""
    with pytest.raises(InvalidInput):
        change(vault, ana, max_frequency="hourly")


def test_may_contact(vault: Vault) -> None:
    ana, bob, cleo, dan = (contact(vault, n) for n in ("Ana", "Bob", "Cleo", "Dan"))
    contact(vault, "Eve")  # nothing recorded: never listed
    change(vault, ana, allow=("sms:events",))
    change(vault, bob, allow=("sms",), max_frequency="weekly")
    change(vault, cleo, allow=("sms",), do_not_contact=True)
    change(vault, dan, allow=("email",))
    at = datetime(2026, 6, 10, tzinfo=UTC)
    assert vault.preferences.may_contact("sms", "events", at=at) == [ana.hex(), bob.hex()]
    assert vault.preferences.may_contact("sms", "news", at=at) == [bob.hex()]
    # an SMS to Bob two days ago: the weekly limit holds him back until seven days have passed
    vault.interactions.log(bob, make_draft("sms", NOW - 2 * DAY))
    assert vault.preferences.may_contact("sms", "events", at=at) == [ana.hex()]
    later = datetime(2026, 6, 15)  # naive = UTC
    assert vault.preferences.may_contact("sms", "events", at=later) == [ana.hex(), bob.hex()]
    # an inbound call does not count against the limit
    vault.interactions.log(bob, make_draft("call", NOW, direction="in"))
    assert bob.hex() in vault.preferences.may_contact("sms", "events", at=later)
    with pytest.raises(UnknownChannel):
        vault.preferences.may_contact("fax", "events")
    with pytest.raises(UnknownChannel):
        vault.preferences.may_contact("sms", "gossip")


def test_may_contact_follows_writes_after_the_index_is_built(vault: Vault) -> None:
    ana = contact(vault, "Ana")
    assert vault.preferences.may_contact("email", "news") == []
    change(vault, ana, allow=("email",))
    assert vault.preferences.may_contact("email", "news") == [ana.hex()]
    vault.contacts.delete([ana])  # another repository: noticed through the record counts
    assert vault.preferences.may_contact("email", "news") == []


def test_unknown_contact(vault: Vault) -> None:
    with pytest.raises(NotFound):
        vault.preferences.get(b"\x02" * 16)
    with pytest.raises(NotFound):
        change(vault, b"\x02" * 16, allow=("email",))


def test_preferences_shredded_with_contact_and_sealed(vault: Vault) -> None:
    ana = contact(vault, "Ana")
    change(vault, ana, allow=("signal:campaign-alerts",), max_frequency="monthly",
           consent_source="Qmpsource1", consent_by="Qmpby2", consent_text="Qmptext3")
    assert vault.records.count("preferences") == 1
    vault.contacts.delete([ana])
    assert vault.records.count("preferences") == 0
    bob = contact(vault, "Bob")
    change(vault, bob, allow=("signal:campaign-alerts",), max_frequency="monthly",
           do_not_contact=True, consent_source="Qmpsource1", consent_by="Qmpby2",
           consent_text="Qmptext3")
    assert_sealed(vault, ["Qmpsource1", "Qmpby2", "Qmptext3", "campaign-alerts", "monthly",
                          "signal"])
