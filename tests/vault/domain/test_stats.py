"""Engagement stats (issue 6): new contacts, interactions by kind, attendance, acted after asked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.domain.dates import day_start
from vault.domain.events import make_event
from vault.domain.interactions import make_draft
from vault.domain.model import ContactDraft


def at(text: str) -> int:
    return day_start(date.fromisoformat(text))


NOW = at("2025-06-30")


def contact(vault: Vault, name: str) -> bytes:
    return bytes.fromhex(vault.contacts.add(ContactDraft(name=name)).id)


def seed(vault: Vault) -> dict[str, bytes]:
    """Ana: emailed, then came to the rally. Bob: texted, never acted. Cy: donated unasked.
    Dee: signed up, did not come; in the Tenants segment with Ana."""
    people = {name: contact(vault, name) for name in ("Ana", "Bob", "Cy", "Dee")}
    log = vault.interactions.log
    log(people["Ana"], make_draft("email-sent", at("2025-06-01")))
    log(people["Bob"], make_draft("sms", at("2025-06-02")))
    log(people["Bob"], make_draft("sms", at("2025-06-03"), direction="in"))  # a reply, not an act
    log(people["Cy"], make_draft("donation", at("2025-06-04"), amount="10", currency="EUR"))
    log(people["Ana"], make_draft("call", at("2024-01-01")))  # before the window
    rally = bytes.fromhex(vault.events.create(make_event("Rally", at("2025-06-10"))).id)
    vault.events.signup(rally, [people["Ana"], people["Dee"]])
    vault.events.checkin(rally, [people["Ana"], people["Cy"]])  # Cy walked in
    old = bytes.fromhex(vault.events.create(make_event("Old meeting", at("2024-02-01"))).id)
    vault.events.checkin(old, [people["Bob"]])
    tenants = vault.segments.create("Tenants")
    vault.segments.add(tenants, [people["Ana"], people["Dee"]])
    return people


def test_engagement_counts(vault: Vault, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vault.records, "_now", lambda: at("2025-06-15"))
    people = seed(vault)
    monkeypatch.setattr(vault.records, "_now", lambda: at("2025-05-15"))
    contact(vault, "Eve")  # created before the window
    result = vault.engagement(now=NOW, since=at("2025-06-01"))
    data = result.to_json()
    assert data["contacts"] == 5 and len(people) == 4
    assert data["new_contacts"] == 4
    assert data["interactions"] == {
        "donation": 1,
        "email-sent": 1,
        "event-attended": 2,
        "sms": 2,
    }
    assert data["interactions_total"] == 6
    assert data["attendance"] == {
        "events": 1,
        "signed_up": 2,
        "attended": 2,
        "attendees": 2,
        "showed_up": 1,
        "share_showed_up": 0.5,
    }
    # Ana (emailed, then attended) and Bob (texted, only replied) were messaged; Ana acted.
    assert (data["messaged"], data["acted_after_message"], data["share_acted"]) == (2, 1, 0.5)


def test_engagement_for_one_segment(vault: Vault) -> None:
    seed(vault)
    data = vault.engagement(now=NOW, since=at("2025-06-01"), segment="tenants").to_json()
    assert data["segment"] == "Tenants" and data["contacts"] == 2
    assert data["interactions"] == {"email-sent": 1, "event-attended": 1}
    assert data["attendance"]["signed_up"] == 2 and data["attendance"]["attended"] == 1
    assert (data["messaged"], data["acted_after_message"]) == (1, 1)


def test_all_time_and_empty(vault: Vault) -> None:
    seed(vault)
    everything = vault.engagement(now=NOW).to_json()
    assert everything["since"] is None and everything["attendance"]["events"] == 2
    assert everything["interactions"]["call"] == 1
    empty = vault.engagement(now=at("2020-01-01"), since=at("2019-01-01")).to_json()
    assert empty["interactions_total"] == 0 and empty["share_acted"] is None
    assert empty["attendance"]["share_showed_up"] is None


@pytest.fixture
def seeded(kith: Kith) -> Kith:
    with Vault.open(kith.vault_dir, PASSPHRASE) as opened:
        seed(opened)
    return kith


def test_cli_stats(seeded: Kith) -> None:
    result = seeded("stats", "--since", "2025-06-01", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["since"] == "2025-06-01" and data["contacts"] == 4
    assert data["new_contacts"] == 4  # created today: within [since, now]
    assert data["interactions"]["event-attended"] == 2
    assert data["acted_after_message"] == 1
    scoped = json.loads(seeded("stats", "--segment", "TENANTS", "--all-time", "--json").stdout)
    assert scoped["segment"] == "Tenants" and scoped["since"] is None and scoped["contacts"] == 2
    human = seeded("stats", "--since", "2025-06-01")
    assert "acted after a message" in human.stdout and "1 of 2 (50%)" in human.stdout
    default = json.loads(seeded("stats", "--json").stdout)
    assert default["since"] is not None  # the last 30 days


def test_cli_stats_invalid_input(seeded: Kith) -> None:
    before = {p.name: p.read_bytes() for p in Path(seeded.vault_dir).iterdir()}
    assert seeded("stats", "--since", "2025-02-30").exit_code == 5
    assert seeded("stats", "--since", "last week").exit_code == 5
    assert seeded("stats", "--segment", "Nowhere").exit_code == 4
    assert seeded("stats", "--since", "2025-01-01", "--all-time").exit_code == 2
    assert {p.name: p.read_bytes() for p in Path(seeded.vault_dir).iterdir()} == before
