"""Offline geocoding from the packaged gazetteer: what is found, and why the rest is not."""

from __future__ import annotations

import pytest

from geo.gazetteer import (
    AMBIGUOUS,
    BAD_COUNTRY,
    NO_ADDRESS,
    NO_PLACE,
    NOT_FOUND,
    Gazetteer,
    Place,
    load,
)
from vault.domain.model import Address


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return load()


def city_of(gazetteer: Gazetteer, address: Address | None, region: str = "") -> str:
    found = gazetteer.place(address, region)
    return found if isinstance(found, str) else f"{found.city.name}, {found.city.country}"


@pytest.mark.parametrize(("address", "expected"), [
    (Address(locality="LYON", country="fra"), "Lyon, FR"),
    (Address(locality="Lisboa", country="Portugal"), "Lisbon, PT"),
    (Address(locality="München", country="Deutschland"), "Munich, DE"),
    (Address(locality="krakow", country="PL"), "Kraków, PL"),
    (Address(locality="Saint-Étienne", country=" France "), "Saint-Étienne, FR"),
    (Address(locality="Leeds", country="UK"), "Leeds, GB"),
    (Address(locality="Springfield", country="US"), "Springfield, US"),  # the most populous
    (Address(locality="", postal_code="60601-1234", country="USA"), "Chicago, US"),
    (Address(locality="Accra"), "Accra, GH"),  # unique in the world: no country needed
    (None, NO_ADDRESS),
    (Address(street="1 High Street", country="GB"), NO_PLACE),
    (Address(locality="Lyon", country="Atlantis"), BAD_COUNTRY),
    (Address(locality="Lyonville", country="FR"), NOT_FOUND),
    (Address(postal_code="69001", country="FR"), NOT_FOUND),  # no French postcode data
    (Address(locality="Paris"), AMBIGUOUS),  # Paris FR, Paris US...
])
def test_places_and_reasons(gazetteer: Gazetteer, address: Address | None, expected: str) -> None:
    assert city_of(gazetteer, address) == expected


def test_the_vault_region_stands_in_for_a_missing_country(gazetteer: Gazetteer) -> None:
    assert city_of(gazetteer, Address(locality="Paris"), "FR") == "Paris, FR"
    assert city_of(gazetteer, Address(locality="Accra"), "FR") == NOT_FOUND


def test_a_zip_code_is_placed_at_its_centroid(gazetteer: Gazetteer) -> None:
    found = gazetteer.place(Address(postal_code="10001", country="US"))
    assert isinstance(found, Place)
    assert (round(found.lat, 2), round(found.lon, 2)) == (40.75, -74.0)
    assert found.city.name == "New York City"
    assert city_of(gazetteer, Address(postal_code="00000", country="US")) == NOT_FOUND
