"""Audiences: who a message names, and who of them may actually be reached.

    segment:NAME        the contacts of a shared segment
    saved:NAME          the contacts a saved search matches when the audience is resolved
    ID,ID,...           explicit contacts (id prefixes; stored as full ids at compose time)

Rules and reasons:
- Consent first, always: a contact is a recipient only if its preferences allow the channel
  and kind (the most specific rule wins), it is not do-not-contact, and its frequency limit
  is not reached (``vault/domain/preferences.py``: opt-in, nothing recorded means no). Then it needs
  an address on that channel: an email, or a phone number that parsed (E.164).
- Recipients and exclusions come in name order (as ``kith list``), whatever the audience.
- Every excluded contact carries one reason, the first that applies in the order above, so a
  preview answers "why did Ana not get it?" and the answer is the one that matters most.
- Resolution reads the in-memory activity index (preferences and the last outbound message of
  each contact): no per-contact decryption for consent. Contacts are opened only to render.
- Merge values come from the contact (first email, first valid phone, first address) and the
  message's event; the template decides which are used (``outreach/template.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from vault import ids
from vault.domain.model import Contact
from vault.domain.preferences import frequency_ok
from vault.domain.values import iso
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from vault import Vault
    from vault.domain.events import Event

MAX_EXPLICIT = 10_000
_SCAN_ABOVE = 64  # more candidates than this: stream every contact once instead of lookups


@dataclass(frozen=True)
class Recipient:
    """A contact who will receive the message, at ``address``."""

    contact: Contact
    address: str


@dataclass(frozen=True)
class Exclusion:
    """A contact who will not, and why (one short reason, no contact data)."""

    contact: Contact
    reason: str


@dataclass(frozen=True)
class Resolution:
    """The outcome of resolving an audience at one moment."""

    recipients: tuple[Recipient, ...]
    excluded: tuple[Exclusion, ...]


def parse_audience(vault: Vault, text: str) -> str:
    """The canonical, storable audience: checked now so a typo fails at compose time."""
    spec = text.strip()
    head, sep, name = spec.partition(":")
    if sep and head in ("segment", "saved"):
        if not name.strip():
            raise InvalidInput("(an audience is segment:NAME, saved:NAME or ID,ID,...)")
        if head == "segment":
            return "segment:" + vault.segments.find(name).name
        return "saved:" + vault.saved_searches.get(name).name
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts or len(parts) > MAX_EXPLICIT:
        raise InvalidInput("(an audience is segment:NAME, saved:NAME or ID,ID,...)")
    full = dict.fromkeys(ids.full(vault.contacts.resolve(p)) for p in parts)
    return "ids:" + ",".join(full)


def candidates(vault: Vault, audience: str, now: int) -> list[str]:
    """Full ids of the contacts the audience names, without consent (in a stable order)."""
    head, _, rest = audience.partition(":")
    if head == "segment":
        segment = vault.segments.find(rest)
        return [ids.full(c) for c in vault.segments.contact_ids(segment)]
    if head == "saved":
        return vault.saved_searches.run(rest, now=now)
    if head == "ids":
        return [c for c in rest.split(",") if c]
    raise InvalidInput("(the stored audience is malformed)")


def load_contacts(vault: Vault, wanted: list[str]) -> dict[str, Contact]:
    """Open the named contacts (by lookups for a few, one streaming pass for many)."""
    if len(wanted) <= _SCAN_ABOVE:
        found: dict[str, Contact] = {}
        for cid in wanted:
            raw = bytes.fromhex(cid)
            if vault.records.type_of(raw) == "contact":
                found[cid] = vault.contacts.get_by_id(raw)
        return found
    keep = set(wanted)
    return {c.id: c for c in vault.contacts.all() if c.id in keep}


def address_of(contact: Contact, channel: str) -> str:
    """The address a message on ``channel`` goes to, or "" if the contact has none.

    Email: the first email. SMS: the first phone that parsed (E.164). Post: the first postal
    address with a street or locality, as lines (for letters and labels).
    """
    if channel == "email":
        return contact.emails[0].value if contact.emails else ""
    if channel == "post":
        for item in contact.addresses:
            if item.street or item.locality:
                town = " ".join(p for p in (item.postal_code, item.locality) if p)
                return "\n".join(p for p in (item.street, town, item.region, item.country) if p)
        return ""
    return next((p.value for p in contact.phones if p.valid), "")


def _reason(prefs_recorded: bool, dnc: bool, allowed: bool, freq_ok: bool, frequency: str,
            channel: str, kind: str) -> str:
    if not prefs_recorded:
        return "no consent recorded (opt-in)"
    if dnc:
        return "do-not-contact"
    if not allowed:
        return f"no consent for {channel}:{kind}"
    if not freq_ok:
        return f"frequency limit ({frequency})"
    return ""


def resolve(vault: Vault, audience: str, channel: str, kind: str, now: int) -> Resolution:
    """Recipients and exclusions of ``audience`` for a ``kind`` message on ``channel``."""
    index = vault.activity_index()
    rank = index.rank()
    wanted = sorted(dict.fromkeys(candidates(vault, audience, now)),
                    key=lambda c: (rank.get(c, len(rank)), c))
    contacts = load_contacts(vault, wanted)
    recipients: list[Recipient] = []
    excluded: list[Exclusion] = []
    for cid in wanted:
        contact = contacts.get(cid)
        if contact is None:
            continue  # shredded since the audience was written
        prefs = index.prefs.get(cid)
        reason = _reason(
            prefs is not None,
            prefs is not None and prefs.do_not_contact,
            prefs is not None and prefs.allows(channel, kind),
            prefs is not None and frequency_ok(prefs.max_frequency, index.last_out.get(cid), now),
            prefs.max_frequency if prefs is not None else "",
            channel, kind,
        )
        address = address_of(contact, channel)
        if not reason and not address:
            reason = {"email": "no email address", "post": "no postal address"}.get(
                channel, "no valid phone number")
        if reason:
            excluded.append(Exclusion(contact, reason))
        else:
            recipients.append(Recipient(contact, address))
    return Resolution(tuple(recipients), tuple(excluded))


def event_values(event: Event | None) -> dict[str, str]:
    """Merge values of an event (empty when the message has none)."""
    if event is None:
        return {}
    day = iso(event.starts)
    date, _, clock = day.partition("T")
    return {"event_name": event.name, "event_date": date, "event_time": clock,
            "event_place": event.place}


def merge_values(contact: Contact, address: str, base: dict[str, str]) -> dict[str, str]:
    """Every merge value of one contact (plus ``base``: the event's)."""
    first = contact.addresses[0] if contact.addresses else None
    values = dict(base)
    values.update({
        "name": contact.display_name(),
        "given_name": contact.given_name,
        "family_name": contact.family_name,
        "org": contact.org,
        "role": contact.role,
        "email": contact.emails[0].value if contact.emails else "",
        "phone": next((p.value for p in contact.phones if p.valid), ""),
    })
    if address.startswith("+"):
        values["phone"] = address  # the number this SMS goes to
    if first is not None:
        values.update({"street": first.street, "city": first.locality, "region": first.region,
                       "postal_code": first.postal_code, "country": first.country})
    values.update({f"field:{k}": v for k, v in contact.fields})
    return values


def names_of(items: Iterable[Recipient | Exclusion]) -> list[str]:
    """Display names (for tests and previews)."""
    return [i.contact.display_name() for i in items]
