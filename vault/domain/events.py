"""Events: meetings, actions, trainings; who signed up, who came.

An event is a sealed record of type ``event`` with sealed fields ``name``, ``starts`` and
``ends`` (UTC epoch seconds as decimal text), ``place``, ``capacity`` and ``description``.

Sign-ups and attendance are links, not records (plaintext inside the encrypted database, like
every link: see ``vault/core/schema.py``)::

    contact --signup-->   event     signed up (not dependent either way)
    contact --attended--> event     checked in; also logged as an ``event-attended``
                                    interaction about the contact, linked to the event

Rules and reasons:
- Links, because a sign-up carries no user text worth sealing, and because "who is coming"
  and "who came" must be answered without decrypting every contact. Shredding a contact
  deletes its links, so it disappears from every list; shredding an event keeps the
  attendance interactions (history outlives the event) but drops their link to it.
- Attendance is also an interaction dated at the event's start, so ``attended:90d`` and a
  contact's history see it like any other activity. Checking in twice is a no-op.
- Capacity limits sign-ups, not check-ins: someone already at the door is let in. A sign-up
  batch that would exceed capacity is refused whole (``EventFull``), so nothing half-happens.
- Quick sign-up (a door volunteer typing a name and an email or phone): the email, else the
  phone, is matched exactly (normalized) against existing contacts. One match is used; none
  creates a contact; several is ``AmbiguousContact`` rather than a guess, because signing up
  the wrong person of two is worse than asking for an id.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.contacts import ContactRepository
from vault.domain.interactions import InteractionRepository, make_draft
from vault.domain.model import Contact, ContactDraft
from vault.domain.validate import normalize_draft, normalize_email, normalize_phone
from vault.domain.values import LONG_TEXT, clean_name, clean_text
from vault.errors import (
    AmbiguousContact,
    EventFull,
    IntegrityError,
    InvalidInput,
    NotFound,
)

RECORD_TYPE = "event"
SIGNUP = "signup"
ATTENDED = "attended"
CONTACT_TYPE = "contact"
MAX_CAPACITY = 1_000_000


@dataclass(frozen=True)
class EventDraft:
    """An event before storage, validated by ``make_event``."""

    name: str
    starts: int
    ends: int | None = None
    place: str = ""
    capacity: int | None = None
    description: str = ""


@dataclass(frozen=True)
class Event(EventDraft):
    """A stored event, with the full ids of who signed up and who attended."""

    id: str = ""
    created: int = 0
    signups: tuple[str, ...] = ()
    attended: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith event`` commands."""
        return {
            "id": self.id,
            "name": self.name,
            "starts": self.starts,
            "ends": self.ends,
            "place": self.place,
            "capacity": self.capacity,
            "description": self.description,
            "signups": list(self.signups),
            "attended": list(self.attended),
            "created": self.created,
        }


def make_event(
    name: str,
    starts: int,
    *,
    ends: int | None = None,
    place: str = "",
    capacity: int | None = None,
    description: str = "",
) -> EventDraft:
    """Validate: a name, an end not before the start, a capacity from 1 to 1,000,000."""
    if ends is not None and ends < starts:
        raise InvalidInput("(an event cannot end before it starts)")
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"(a capacity is 1 to {MAX_CAPACITY})")
    return EventDraft(
        name=clean_name(name, "the event name"),
        starts=starts,
        ends=ends,
        place=clean_text(place, "the place"),
        capacity=capacity,
        description=clean_text(description, "the description", LONG_TEXT),
    )


def _encode(draft: EventDraft) -> dict[str, bytes]:
    out = {"name": draft.name.encode(), "starts": str(draft.starts).encode()}
    if draft.ends is not None:
        out["ends"] = str(draft.ends).encode()
    if draft.capacity is not None:
        out["capacity"] = str(draft.capacity).encode()
    if draft.place:
        out["place"] = draft.place.encode()
    if draft.description:
        out["description"] = draft.description.encode()
    return out


@dataclass(frozen=True)
class QuickSignup:
    """What a quick sign-up did: which contact, and whether it was created or matched."""

    contact: Contact
    created: bool
    checked_in: bool

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"contact": self.contact.id, "name": self.contact.display_name(),
                "created": self.created, "checked_in": self.checked_in}


class ContactMatcher:
    """Normalized email -> contacts and E.164 phone -> contacts, for quick sign-up."""

    def __init__(self, contacts: Iterable[Contact]) -> None:
        self.emails: dict[str, set[str]] = {}
        self.phones: dict[str, set[str]] = {}
        for contact in contacts:
            self.add(contact)

    def add(self, contact: Contact) -> None:
        """Make ``contact`` findable."""
        for email in contact.emails:
            self.emails.setdefault(email.value.casefold(), set()).add(contact.id)
        for phone in contact.phones:
            self.phones.setdefault(phone.value, set()).add(contact.id)

    def match(self, email: str, phone: str) -> str | None:
        """The one contact with that email (else phone); None; or ``AmbiguousContact``."""
        found = self.emails.get(email.casefold(), set()) if email else set()
        if not found and phone:
            found = self.phones.get(phone, set())
        if len(found) > 1:
            raise AmbiguousContact
        return next(iter(found), None)


class ContactListener(Protocol):
    """What this repository tells the in-memory activity index (``ActivityCache`` is one)."""

    def contact_added(self, contact: Contact) -> None:
        """A contact was created (a door sign-up): add it to a built index."""

    def clear(self) -> None:
        """Forget the index: the next reader rebuilds it."""


class EventRepository:
    """Events stored as sealed records; sign-ups and attendance as links."""

    def __init__(
        self,
        records: RecordStore,
        home_segment: bytes,
        interactions: InteractionRepository,
        cache: ContactListener | None = None,
    ) -> None:
        self.records = records
        self.home_segment = home_segment
        self.interactions = interactions
        self.cache = cache

    def resolve(self, prefix: str) -> bytes:
        """The id of the one event whose id starts with ``prefix``."""
        return self.records.resolve(RECORD_TYPE, prefix, "event")

    def create(self, draft: EventDraft) -> Event:
        """Store a new event."""
        return self.get_by_id(self.records.create(RECORD_TYPE, _encode(draft), self.home_segment))

    def _event(self, record: Record) -> Event:
        values = record.fields
        try:
            text = {k: v.decode("utf-8") for k, v in values.items()}
            return Event(
                name=text.get("name", ""),
                starts=int(text["starts"]),
                ends=int(text["ends"]) if "ends" in text else None,
                place=text.get("place", ""),
                capacity=int(text["capacity"]) if "capacity" in text else None,
                description=text.get("description", ""),
                id=ids.full(record.id),
                created=record.created,
                signups=tuple(sorted(ids.full(c) for c in self.signups(record.id))),
                attended=tuple(sorted(ids.full(c) for c in self.attendees(record.id))),
            )
        except (KeyError, ValueError, UnicodeDecodeError):
            raise IntegrityError("(an event field is malformed)") from None

    def get_by_id(self, record_id: bytes) -> Event:
        """One event by full id."""
        record = self.records.get(record_id)
        if record.type != RECORD_TYPE:
            raise NotFound("(no event with that id)")
        return self._event(record)

    def all(self) -> list[Event]:
        """Every event, soonest first."""
        events = [self._event(r) for r in self.records.iter_type(RECORD_TYPE)]
        return sorted(events, key=lambda e: (e.starts, e.name, e.id))

    def _people(self, event_id: bytes, role: str) -> list[bytes]:
        return [c for c in self.records.linked_to(event_id, role)
                if self.records.type_of(c) == CONTACT_TYPE]

    def signups(self, event_id: bytes) -> list[bytes]:
        """Ids of the contacts signed up."""
        return self._people(event_id, SIGNUP)

    def attendees(self, event_id: bytes) -> list[bytes]:
        """Ids of the contacts checked in."""
        return self._people(event_id, ATTENDED)

    def members(self, prefix: str, key: str) -> set[str]:
        """Filter support: full ids of attendees (``key="event"``) or sign-ups of an event."""
        event_id = self.resolve(prefix)
        people = self.attendees(event_id) if key == "event" else self.signups(event_id)
        return {ids.full(c) for c in people}

    def _check_contacts(self, contact_ids: Iterable[bytes]) -> list[bytes]:
        wanted = list(dict.fromkeys(contact_ids))
        for contact_id in wanted:
            if self.records.type_of(contact_id) != CONTACT_TYPE:
                raise NotFound("(no contact with that id)")
        return wanted

    def signup(self, event_id: bytes, contact_ids: Iterable[bytes]) -> list[bytes]:
        """Sign contacts up; returns those newly signed up. All or nothing (``EventFull``)."""
        event = self.get_by_id(event_id)
        wanted = self._check_contacts(contact_ids)
        current = set(self.signups(event_id))
        fresh = [c for c in wanted if c not in current]
        if event.capacity is not None and len(current) + len(fresh) > event.capacity:
            raise EventFull
        with self.records.store.transaction():
            for contact_id in fresh:
                self.records.link(contact_id, event_id, SIGNUP, dependent=False)
        return fresh

    def checkin(self, event_id: bytes, contact_ids: Iterable[bytes]) -> list[bytes]:
        """Mark contacts as attended and log it; returns those newly checked in."""
        event = self.get_by_id(event_id)
        wanted = self._check_contacts(contact_ids)
        present = set(self.attendees(event_id))
        fresh = [c for c in wanted if c not in present]
        draft = make_draft("event-attended", event.starts)
        try:
            with self.records.store.transaction():
                for contact_id in fresh:
                    self.records.link(contact_id, event_id, ATTENDED, dependent=False)
                    self.interactions.log(contact_id, draft, event_id=event_id)
        except BaseException:
            if self.cache:
                self.cache.clear()
            raise
        return fresh

    def quick_signup(
        self,
        event_id: bytes,
        contacts: ContactRepository,
        matcher: ContactMatcher,
        *,
        name: str,
        email: str = "",
        phone: str = "",
        region: str,
        checkin: bool = False,
    ) -> QuickSignup:
        """Match or create a contact from a name plus an email or phone, then sign it up."""
        email_n = normalize_email(email).value if email.strip() else ""
        phone_n = normalize_phone(phone, region, strict=True).value if phone.strip() else ""
        if not email_n and not phone_n:
            raise InvalidInput("(a quick sign-up needs an email or a phone)")
        event = self.get_by_id(event_id)
        found = matcher.match(email_n, phone_n)
        signed = set(event.signups)
        if (event.capacity is not None and found not in signed
                and len(signed) + 1 > event.capacity and not checkin):
            raise EventFull
        created = found is None
        if found is None:
            if not name.strip():
                raise InvalidInput("(a new contact needs a name)")
            draft = ContactDraft(
                name=name,
                emails=(normalize_email(email),) if email_n else (),
                phones=(normalize_phone(phone, region, strict=True),) if phone_n else (),
            )
            contact = contacts.add(normalize_draft(draft, region, strict=True))
            matcher.add(contact)
            if self.cache:
                self.cache.contact_added(contact)
        else:
            contact = contacts.get_by_id(bytes.fromhex(found))
        contact_id = bytes.fromhex(contact.id)
        if contact.id not in signed and (event.capacity is None
                                         or len(signed) < event.capacity):
            self.records.link(contact_id, event_id, SIGNUP, dependent=False)
        if checkin:
            self.checkin(event_id, [contact_id])
        return QuickSignup(contact, created, checkin)
