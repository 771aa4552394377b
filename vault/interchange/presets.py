"""Column maps: which CSV column holds which part of a Kith contact.

A *preset* knows the header row of one tool's export (Google Contacts, Outlook, CiviCRM) or of
Kith's own CSV (``generic``); ``detect_preset`` recognises it from the header, so the user rarely
has to name it. A *column map* (``{"Mobile #": "phone:cell"}``) maps any header to a Kith field
and overrides the preset for those columns; a header mapped to ``""`` or ``skip`` is ignored.

Kith field names in a column map: ``name``, ``given_name``, ``middle_name``, ``family_name``,
``email``, ``phone``, ``org``, ``role``, ``street``, ``locality``, ``region``, ``postal_code``,
``country``, ``notes``, ``tags``, ``languages`` and ``field:KEY``. ``email``, ``phone`` and the
address parts take an optional label (``phone:cell``, ``street:work``); address parts with the same
label form one address. In mapped ``tags`` and ``languages`` cells, values are separated by commas,
semicolons, newlines or Google's `` ::: ``.

Columns a preset does not know are ignored (tools export dozens of empty columns), except in
CiviCRM, where they are usually the organisation's own custom data and become fields named
``civicrm_<column>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from vault.errors import InvalidInput

SCALARS = frozenset({"name", "given_name", "middle_name", "family_name", "org", "role", "notes"})
GENERIC_COLUMNS = ("name", "given_name", "family_name", "emails", "phones", "addresses", "org",
                   "role", "languages", "notes", "tags", "fields")  # fmt: skip


@dataclass(frozen=True)
class Target:
    """Where one column's cells go.

    ``kind``: a scalar (``SCALARS``), ``tags``, ``languages``, an item kind (``email``,
    ``phone``, ``address``, ``field``) or a generic cell kind (``emails``, ``phones``,
    ``addresses``, ``fields``). Item columns with the same ``slot`` build one item; ``part`` says
    which part (``value``, ``label``, ``key`` or an address part); ``label`` is a fixed label and
    ``key`` a fixed field key. ``split`` names how one cell holds several values (``:::``, ``;``,
    ``,``, ``any``, or ``lines`` for the generic format); ``blank`` lists values meaning "empty".
    """

    kind: str
    part: str = "value"
    slot: str = ""
    label: str = ""
    key: str = ""
    split: str = ""
    blank: frozenset[str] = frozenset()


Rule = Callable[[re.Match[str]], Target | None]


@dataclass(frozen=True)
class Preset:
    """One tool's header row: exact columns, numbered-column patterns and detection markers."""

    name: str
    columns: Mapping[str, Target]
    patterns: tuple[tuple[re.Pattern[str], Rule], ...] = ()
    markers: frozenset[str] = frozenset()
    extra_prefix: str = ""
    ignored: frozenset[str] = frozenset()
    strip: bool = True

    def target(self, header: str) -> Target | None:
        """The target for ``header``, or None when this preset ignores the column."""
        key = header.strip().casefold()
        if key in self.columns:
            return self.columns[key]
        for pattern, rule in self.patterns:
            found = pattern.fullmatch(header.strip())
            if found:
                return rule(found)
        if self.extra_prefix and key not in self.ignored:
            slug = re.sub(r"\W+", "_", key).strip("_")
            return Target("field", key=f"{self.extra_prefix}{slug}") if slug else None
        return None


def _cols(spec: Mapping[str, Target]) -> dict[str, Target]:
    return {k.casefold(): v for k, v in spec.items()}


def _field(key: str, blank: frozenset[str] = frozenset()) -> Target:
    return Target("field", key=key, blank=blank)


# --- Google Contacts: old ("Given Name", "Group Membership") and new ("First Name", "Labels") ---

_GOOGLE_ADDRESS = {"type": "label", "label": "label", "formatted": "formatted", "street": "street",
                   "city": "locality", "po box": "po_box", "region": "region",
                   "postal code": "postal_code", "country": "country",
                   "extended address": "street2"}  # fmt: skip
_GOOGLE_FIELDS = {"website": "website", "relation": "relation", "event": "event", "im": "im",
                  "custom field": ""}  # fmt: skip


def _google_item(found: re.Match[str]) -> Target | None:
    kind, n, part = found[1].lower(), found[2], found[3].lower()
    role = "label" if part in ("type", "label") else "value"
    if kind in ("e-mail", "phone"):
        return Target("email" if kind == "e-mail" else "phone", part=role, slot=n, split=":::")
    if kind == "address":
        part_name = _GOOGLE_ADDRESS.get(part)
        return Target("address", part=part_name, slot=n) if part_name else None
    if kind == "organization":
        known = {"name": Target("org"), "title": Target("role"), "department": _field("department")}
        return known.get(part)
    if kind in _GOOGLE_FIELDS:
        return Target("field", part=role, slot=f"{kind} {n}", key=_GOOGLE_FIELDS[kind])
    return None


GOOGLE = Preset(
    "google",
    _cols({
        "Name": Target("name"), "Given Name": Target("given_name"),
        "First Name": Target("given_name"), "Additional Name": Target("middle_name"),
        "Middle Name": Target("middle_name"), "Family Name": Target("family_name"),
        "Last Name": Target("family_name"), "Nickname": _field("nickname"),
        "Birthday": _field("birthday"), "Notes": Target("notes"),
        "Language": Target("languages", split=":::"), "Occupation": _field("occupation"),
        "Group Membership": Target("tags", split=":::"), "Labels": Target("tags", split=":::"),
        "Organization Name": Target("org"), "Organization Title": Target("role"),
        "Organization Department": _field("department"),
    }),
    ((re.compile(r"(E-mail|Phone|Address|Organization|Website|Relation|Event|IM|Custom Field)"
                 r" (\d+) - (.+)", re.I), _google_item),),
    frozenset({"e-mail 1 - value", "e-mail 1 - type", "e-mail 1 - label", "phone 1 - value",
               "group membership", "labels", "given name", "address 1 - formatted",
               "organization 1 - name", "organization name"}),
)  # fmt: skip


# --- Outlook (desktop and outlook.com) ---------------------------------------------------------

_NO_DATE = frozenset({"0/0/00", "1/0/00", "00/00/0000", "0.0.00"})
_OUTLOOK_PHONES = {
    "Business Phone": "work", "Business Phone 2": "work", "Home Phone": "home",
    "Home Phone 2": "home", "Mobile Phone": "mobile", "Business Fax": "work fax",
    "Home Fax": "home fax", "Other Fax": "other fax", "Other Phone": "other", "Pager": "pager",
    "Primary Phone": "main", "Company Main Phone": "main", "Car Phone": "car",
    "Assistant's Phone": "assistant", "Callback": "callback", "ISDN": "isdn",
    "Radio Phone": "radio", "Telex": "telex", "TTY/TDD Phone": "textphone",
}  # fmt: skip
_OUTLOOK_ADDRESS = {"Street": "street", "Street 2": "street2", "Street 3": "street2",
                    "City": "locality", "State": "region", "Postal Code": "postal_code",
                    "Country/Region": "country", "Country": "country"}  # fmt: skip


def _outlook_columns() -> dict[str, Target]:
    spec: dict[str, Target] = {
        "First Name": Target("given_name"), "Middle Name": Target("middle_name"),
        "Last Name": Target("family_name"), "Company": Target("org"), "Job Title": Target("role"),
        "Department": _field("department"), "Notes": Target("notes"),
        "Categories": Target("tags", split=";"), "Language": Target("languages", split=";"),
        "Web Page": _field("website"), "Personal Web Page": _field("website (personal)"),
        "Birthday": _field("birthday", _NO_DATE), "Anniversary": _field("anniversary", _NO_DATE),
        "Nickname": _field("nickname"), "Spouse": _field("spouse"), "Children": _field("children"),
        "Manager's Name": _field("manager"), "Assistant's Name": _field("assistant"),
        "Office Location": _field("office"), "Profession": _field("profession"),
        "IMAddress": _field("im"),
    }  # fmt: skip
    for n, column in enumerate(("E-mail Address", "E-mail 2 Address", "E-mail 3 Address"), 1):
        spec[column] = Target("email", slot=f"e{n}")
    for column, label in _OUTLOOK_PHONES.items():
        spec[column] = Target("phone", slot=column, label=label)
    for prefix, label in (("Business", "work"), ("Home", "home"), ("Other", "other")):
        for suffix, part in _OUTLOOK_ADDRESS.items():
            spec[f"{prefix} {suffix}"] = Target("address", part=part, slot=label, label=label)
        spec[f"{prefix} Address PO Box"] = Target("address", part="po_box", slot=label, label=label)
    return _cols(spec)


OUTLOOK = Preset(
    "outlook",
    _outlook_columns(),
    markers=frozenset({"e-mail address", "e-mail 2 address", "business phone", "mobile phone",
                       "home phone", "business street", "home street"}),
)  # fmt: skip


# --- CiviCRM contact export -------------------------------------------------------------------

_CIVI_PARTS = {"email": "email", "phone": "phone", "street address": "street",
               "supplemental address 1": "street2", "supplemental address 2": "street2",
               "supplemental address 3": "street2", "city": "locality",
               "postal code": "postal_code", "state": "region", "state/province": "region",
               "state province": "region", "country": "country"}  # fmt: skip
_CIVI_LOCATION = re.compile(
    r"(Home|Work|Main|Other|Billing|Primary)-(Email|Phone|Street Address|Supplemental Address \d|"
    r"City|Postal Code|State|State/Province|Country)(?:-(Phone|Mobile|Fax|Pager|Voicemail))?",
    re.I,
)


def _civi_location(found: re.Match[str]) -> Target:
    where, part, kind = found[1].lower(), _CIVI_PARTS[found[2].lower()], (found[3] or "").lower()
    label = "" if where == "primary" else where
    if part in ("email", "phone"):
        extra = {"mobile": "mobile", "fax": "fax", "pager": "pager", "voicemail": "voicemail"}
        label = " ".join(x for x in (label, extra.get(kind, "")) if x)
        return Target(part, slot=found[0].lower(), label=label)
    return Target("address", part=part, slot=where, label=label)


def _civi_columns() -> dict[str, Target]:
    spec: dict[str, Target] = {
        "Contact ID": _field("civicrm_id"), "First Name": Target("given_name"),
        "Middle Name": Target("middle_name"), "Last Name": Target("family_name"),
        "Display Name": Target("name"), "Email": Target("email", slot="primary"),
        "Phone": Target("phone", slot="primary"), "Current Employer": Target("org"),
        "Organization Name": Target("org"),  # an Organization contact's own name (issue 14)
        "Job Title": Target("role"), "Group(s)": Target("tags", split=","),
        "Tag(s)": Target("tags", split=","), "Preferred Language": Target("languages"),
        "Note(s)": Target("notes"), "Notes": Target("notes"), "Note": Target("notes"),
        "Birth Date": _field("birthday"), "Nick Name": _field("nickname"),
        "Nickname": _field("nickname"),
    }  # fmt: skip
    for flag in ("Do Not Email", "Do Not Phone", "Do Not Mail", "Do Not SMS", "Is Opt Out",
                 "Do Not Trade"):  # fmt: skip
        spec[flag] = _field("civicrm_" + flag.lower().replace(" ", "_"))
    for column, part in _CIVI_PARTS.items():
        if part not in ("email", "phone"):
            spec[column] = Target("address", part=part, slot="primary")
    return _cols(spec)


CIVICRM = Preset(
    "civicrm",
    _civi_columns(),
    ((_CIVI_LOCATION, _civi_location),),
    frozenset({"contact id", "display name", "current employer", "street address",
               "do not email", "is opt out", "group(s)", "tag(s)", "sort name"}),
    extra_prefix="civicrm_",
    ignored=frozenset({"sort name", "email greeting", "postal greeting", "addressee", "hash",
                       "contact hash", "image url", "prefix", "suffix", "individual prefix",
                       "individual suffix", "postal code suffix", "geo code 1", "geo code 2",
                       "county", "address name", "is primary"}),
)  # fmt: skip


# --- Kith's own CSV ----------------------------------------------------------------------------

GENERIC = Preset(
    "generic",
    {
        **{k: Target(k) for k in ("name", "given_name", "family_name", "org", "role", "notes")},
        **{k: Target(k) for k in ("emails", "phones", "addresses", "fields")},
        "tags": Target("tags", split="lines"),
        "languages": Target("languages", split="lines"),
    },
    strip=False,
)

PRESETS: Mapping[str, Preset] = {p.name: p for p in (GOOGLE, OUTLOOK, CIVICRM, GENERIC)}


def detect_preset(header: list[str]) -> Preset | None:
    """The preset whose marker columns the header holds most of, or None."""
    keys = {h.strip().casefold() for h in header}
    if keys <= set(GENERIC_COLUMNS) and keys & {"emails", "phones", "addresses", "fields"}:
        return GENERIC
    scores = [(len(p.markers & keys), p) for p in (GOOGLE, OUTLOOK, CIVICRM)]
    best, preset = max(scores, key=lambda pair: pair[0])
    return preset if best else None


def parse_target(spec: str, index: int) -> Target | None:
    """One column-map entry (``phone:cell``, ``field:Pronouns``, ``skip``) as a target."""
    base, _, arg = spec.strip().partition(":")
    base, arg = base.strip().lower(), arg.strip()
    if base in ("", "skip", "ignore"):
        return None
    if base == "field":
        if not arg or "=" in arg:
            raise InvalidInput("(a column map target field:KEY needs a key without '=')")
        return Target("field", key=arg)
    if base in SCALARS and not arg:
        return Target(base)
    if base in ("tags", "languages") and not arg:
        return Target(base, split="any")
    if base in ("email", "phone"):
        return Target(base, slot=f"column {index}", label=arg)
    if base in ("street", "locality", "region", "postal_code", "country"):
        return Target("address", part=base, slot=f"map {arg}", label=arg)
    raise InvalidInput(
        "(unknown Kith field in the column map; use name, given_name, middle_name, family_name,"
        " email, phone, org, role, street, locality, region, postal_code, country, notes, tags,"
        " languages or field:KEY)"
    )


def build_plan(
    header: list[str], preset: str | None, column_map: Mapping[str, str] | None
) -> tuple[bool, list[tuple[int, Target]]]:
    """Whether to strip cells, and (column index, target) for every column that is used."""
    if preset is not None and preset not in PRESETS:
        raise InvalidInput("(unknown CSV preset; use google, outlook, civicrm or generic)")
    chosen = PRESETS[preset] if preset else detect_preset(header)
    mapped = {k.strip().casefold(): v for k, v in (column_map or {}).items()}
    keys = [h.strip().casefold() for h in header]
    for key in mapped.keys() - set(keys):
        raise InvalidInput(f"(column {key[:60]!r} of the column map is not in the CSV header)")
    if chosen is None and not mapped:
        raise InvalidInput(
            "(the CSV header matches no preset; name one (google, outlook, civicrm, generic) "
            "or give a column map)"
        )
    plan: list[tuple[int, Target]] = []
    for index, (column, key) in enumerate(zip(header, keys, strict=True)):
        if key in mapped:
            target = parse_target(mapped[key], index)
        else:
            target = chosen.target(column) if chosen else None
        if target is not None:
            plan.append((index, target))
    if not plan:
        raise InvalidInput("(no column of this CSV maps to a Kith field)")
    return (chosen.strip if chosen else True), plan


__all__ = ["GENERIC_COLUMNS", "PRESETS", "Preset", "Target", "build_plan", "detect_preset"]
