"""Fixtures for outreach tests: a vault with people whose consent differs, and loopback servers.

People (all in segment "Volunteers"):
    Ana   email + phone, allows email and sms, lives in Lyon, Ward=3    -> recipient
    Ben   email, nothing recorded                                       -> opt-in exclusion
    Cleo  email, allows email but do-not-contact                        -> excluded
    Dan   email, allows email, denies email:fundraising                 -> news yes, money no
    Eve   email, allows email, weekly limit, emailed yesterday          -> frequency
    Finn  no email, allows email                                        -> no address
    Gus   email + phone, allows email and sms                           -> recipient
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from tests.outreach.outreach_servers import Collector, Gateway, sms_gateway, smtp_server
from vault.api import Vault
from vault.domain.interactions import make_draft
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.preferences import PreferenceChange

DAY = 86_400


def _person(vault: Vault, given: str, *, email: bool = True, phone: str = "",
            city: str = "", fields: tuple[tuple[str, str], ...] = ()) -> bytes:
    draft = ContactDraft(
        name=f"{given} Tester", given_name=given, family_name="Tester",
        emails=(Email(f"{given.lower()}@example.org"),) if email else (),
        phones=(Phone(phone),) if phone else (),
        addresses=(Address(locality=city),) if city else (),
        fields=fields,
    )
    return bytes.fromhex(vault.contacts.add(draft).id)


def populate(vault_dir: Path) -> dict[str, str]:
    """Create the people above; returns name -> full id."""
    now = int(time.time())
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        made = {
            "Ana": _person(vault, "Ana", phone="+33612345678", city="Lyon",
                           fields=(("Ward", "3"),)),
            "Ben": _person(vault, "Ben"),
            "Cleo": _person(vault, "Cleo"),
            "Dan": _person(vault, "Dan"),
            "Eve": _person(vault, "Eve"),
            "Finn": _person(vault, "Finn", email=False),
            "Gus": _person(vault, "Gus", phone="+33698765432"),
        }
        prefs = vault.preferences
        for name in ("Ana", "Gus"):
            prefs.change(made[name], PreferenceChange(allow=("email", "sms")), now=now)
        prefs.change(made["Cleo"], PreferenceChange(allow=("email",), do_not_contact=True),
                     now=now)
        prefs.change(made["Dan"], PreferenceChange(allow=("email",),
                                                   deny=("email:fundraising",)), now=now)
        prefs.change(made["Eve"], PreferenceChange(allow=("email",), max_frequency="weekly"),
                     now=now)
        prefs.change(made["Finn"], PreferenceChange(allow=("email",)), now=now)
        vault.interactions.log(made["Eve"], make_draft("email-sent", now - DAY))
        segment = vault.segments.create("Volunteers")
        vault.segments.add(segment, list(made.values()))
        vault.saved_searches.save("lyon", "city:Lyon")
        return {name: raw.hex() for name, raw in made.items()}


@pytest.fixture
def people(kith: Kith) -> dict[str, str]:
    return populate(kith.vault_dir)


@pytest.fixture
def smtp() -> Iterator[Collector]:
    with smtp_server() as collector:
        yield collector


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    with sms_gateway() as phone:
        yield phone


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def new_message(kith: Kith, tmp_path: Path, *args: str, body: str = "Hi {given_name}!\n"
                ) -> str:
    """``kith outreach new`` with a body file; returns the printed id (last line)."""
    result = kith("outreach", "new", *args, "--body-file", write(tmp_path, "body.txt", body))
    assert result.exit_code == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def config_email(kith: Kith, port: int, *extra: str) -> None:
    result = kith("outreach", "config", "email", "--host", "127.0.0.1", "--port", str(port),
                  "--from", "team@org.example", "--security", "none", "--rate", "6000", *extra)
    assert result.exit_code == 0, result.stderr
