"""A vault of supporters across several countries, for the supporter map.

Placed (city level, gazetteer points):
    Lyon FR      6   (5 tagged "volunteer"; 3 of them allow email:events; segment "Rhone")
    Paris FR     2   Marseille FR 1                  (3 in FR outside Lyon)
    Lisboa PT    5   (alternate name of Lisbon)
    New York US  5   (by ZIP code 10001, no city given)
    Osaka JP     4
Not placed: 1 no address, 1 street only, 1 country "Atlantis", 1 unknown town in FR.

Every name, street, email, phone and postcode carries a marker (ZQX...) that the file scans
look for; the postcode 69007 is given but unused by the geocoder outside the US.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.preferences import PreferenceChange

PLACES = [
    ("Lyon", "France", "69007", 6),
    ("Paris", "FR", "", 2),
    ("Marseille", "fra", "", 1),
    ("Lisboa", "Portugal", "", 5),
    ("", "USA", "10001", 5),
    ("Osaka", "JP", "", 4),
]
UNPLACED = [None, Address(street="ZQX Street Only 1"), Address(locality="Lyon", country="Atlantis"),
            Address(locality="Zqxville", country="FR")]


def populate(vault_dir: Path) -> dict[str, list[str]]:
    """Fill the vault; returns the markers written (names, streets, emails, phones)."""
    markers: dict[str, list[str]] = {"names": [], "streets": [], "emails": [], "phones": []}
    n = 0
    with Vault.open(vault_dir, PASSPHRASE) as vault:
        lyon: list[bytes] = []
        for city, country, postcode, count in PLACES:
            for _ in range(count):
                n += 1
                name, street = f"Zqxperson{n} Marker", f"{n} Rue Zqxmarker"
                email, phone = f"zqx{n}@example.org", f"+3361234{n:04d}"
                address = Address(street=street, locality=city, postal_code=postcode,
                                  country=country)
                tags = ("volunteer",) if city == "Lyon" and len(lyon) < 5 else ()
                made = vault.contacts.add(ContactDraft(
                    name=name, emails=(Email(email),), phones=(Phone(phone),),
                    addresses=(address,), tags=tags))
                markers["names"].append(name)
                markers["streets"].append(street)
                markers["emails"].append(email)
                markers["phones"].append(phone)
                if city == "Lyon":
                    lyon.append(bytes.fromhex(made.id))
        for address in UNPLACED:
            n += 1
            vault.contacts.add(ContactDraft(name=f"Zqxperson{n} Marker",
                                            addresses=(address,) if address else ()))
        for raw in lyon[:3]:
            vault.preferences.change(raw, PreferenceChange(allow=("email:events",)), now=0)
        segment = vault.segments.create("Rhone")
        vault.segments.add(segment, lyon)
        vault.saved_searches.save("lyon-volunteers", "city:Lyon tag:volunteer")
    return markers


@pytest.fixture
def supporters(kith: Kith) -> dict[str, list[str]]:
    return populate(kith.vault_dir)
