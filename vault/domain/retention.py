"""Retention: data that is kept only until a date, then crypto-shredded.

Three things can carry an expiry (a UTC day, kept to its end; ``vault/domain/dates.py``):

- a contact: ``records.expires`` (plaintext epoch seconds inside the encrypted database, like
  ``created``), so finding what is due needs no decryption;
- a segment: ``segments.expires`` (migration ``0003-segment-expiry``);
- one field of a contact (emails, phones, notes, a custom field...): a sealed ``expiry`` field
  on the contact's own record holding ``{field: expires}``. The field *names* a person chose
  to expire can be sensitive (a custom field called "immigration status"), so they are sealed;
  only the fact that a contact has some field expiry shows (the field name ``expiry`` is plain).

What expiring does, and why:
- An expired contact is crypto-shredded with its dependents (interactions, relationships, its
  target record), exactly like ``kith delete``.
- An expired segment is deleted (its keys destroyed), and its contacts are crypto-shredded
  *unless* they are also in another shared segment that has not expired. That is the point of
  a segment expiry: "sign-up data collected for one action" goes when the action is over, while
  people another campaign still works with are kept. (``kith segment delete`` is different: it
  keeps every contact made here; see ``vault/domain/segments.py``.)
- An expired field is removed and then the whole record is re-sealed under a fresh CDK
  (``RecordStore.reseal(fresh_key=True)``), so old ciphertexts of that field (in a journal, a
  backup made earlier, a peer's log) can no longer be opened with any key that still exists.
- ``plan(now)`` only reads; ``apply(plan)`` shreds exactly what the plan lists (what the person
  saw and confirmed), skipping anything already gone. The CLI and the TUI (on unlock) share both.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from vault import ids
from vault.core.records import RecordStore
from vault.domain.contacts import ContactRepository
from vault.domain.dates import end_of_day, iso, last_kept_day
from vault.domain.segments import Segment, SegmentRepository
from vault.errors import IntegrityError, InvalidInput, NotFound

EXPIRY_FIELD = "expiry"
CUSTOM_PREFIX = "custom:"
EXPIRABLE = (
    "given_name",
    "family_name",
    "emails",
    "phones",
    "addresses",
    "org",
    "role",
    "languages",
    "notes",
    "tags",
)
ALIASES = {
    "email": "emails",
    "phone": "phones",
    "address": "addresses",
    "organization": "org",
    "language": "languages",
    "note": "notes",
    "tag": "tags",
    "given-name": "given_name",
    "family-name": "family_name",
}


def field_label(key: str) -> str:
    """The field name a person typed, from its stored key."""
    return key.removeprefix(CUSTOM_PREFIX)


@dataclass(frozen=True)
class ContactRetention:
    """The expiry rules on one contact: the whole contact and single fields."""

    contact_id: bytes
    expires: int | None
    fields: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith retain ID``."""
        return {
            "id": ids.full(self.contact_id),
            "until": None if self.expires is None else iso(last_kept_day(self.expires)),
            "fields": {
                field_label(k): iso(last_kept_day(v)) for k, v in sorted(self.fields.items())
            },
        }


@dataclass(frozen=True)
class DueContact:
    """A contact that will be shredded, and why (its own expiry, or its segment's)."""

    id: bytes
    name: str
    expires: int
    because: str
    dependents: int


@dataclass(frozen=True)
class DueField:
    """One field of a contact that will be removed."""

    contact_id: bytes
    contact_name: str
    field: str
    expires: int


@dataclass(frozen=True)
class Plan:
    """Everything that has expired at ``now``; nothing is changed by making one."""

    now: int
    segments: tuple[Segment, ...] = ()
    contacts: tuple[DueContact, ...] = ()
    fields: tuple[DueField, ...] = ()

    @property
    def empty(self) -> bool:
        """True when nothing has expired."""
        return not (self.segments or self.contacts or self.fields)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith expire``."""
        return {
            "segments": [
                {"id": s.id.hex(), "name": s.name, "until": _until(s.expires)}
                for s in self.segments
            ],
            "contacts": [
                {
                    "id": ids.full(c.id),
                    "name": c.name,
                    "until": _until(c.expires),
                    "because": c.because,
                    "linked_records": c.dependents,
                }
                for c in self.contacts
            ],
            "fields": [
                {
                    "contact": {"id": ids.full(f.contact_id), "name": f.contact_name},
                    "field": field_label(f.field),
                    "until": _until(f.expires),
                }
                for f in self.fields
            ],
        }


@dataclass(frozen=True)
class ExpiryOutcome:
    """What ``apply`` did."""

    records_shredded: int
    fields_removed: int
    segments_deleted: int

    def to_json(self) -> dict[str, int]:
        """Counts for ``--json``."""
        return {
            "records_shredded": self.records_shredded,
            "fields_removed": self.fields_removed,
            "segments_deleted": self.segments_deleted,
        }


def _until(expires: int | None) -> str | None:
    return None if expires is None else iso(last_kept_day(expires))


class Retention:
    """Set expiry dates, find what is due, shred it."""

    def __init__(
        self, records: RecordStore, contacts: ContactRepository, segments: SegmentRepository
    ) -> None:
        self.records = records
        self.contacts = contacts
        self.segments = segments

    # -- rules ---------------------------------------------------------------------------------

    def _field_rules(self, contact_id: bytes) -> dict[str, int]:
        raw = self.records.get(contact_id).fields.get(EXPIRY_FIELD)
        if raw is None:
            return {}
        try:
            rules = json.loads(raw)
            return {str(k): int(v) for k, v in rules.items()}
        except (ValueError, TypeError, AttributeError):
            raise IntegrityError("(a contact's expiry rules are malformed)") from None

    def _write_rules(self, contact_id: bytes, rules: Mapping[str, int]) -> None:
        value = json.dumps(dict(sorted(rules.items())), separators=(",", ":")).encode()
        self.records.update(contact_id, {EXPIRY_FIELD: value if rules else None})

    def of_contact(self, contact_id: bytes) -> ContactRetention:
        """The expiry rules on one contact."""
        self.contacts.get_by_id(contact_id)
        row = self.records.get(contact_id)
        return ContactRetention(contact_id, row.expires, self._field_rules(contact_id))

    def field_key(self, contact_id: bytes, name: str) -> str:
        """The stored key for a field a person named: ``emails``, ``phone``, a custom field."""
        typed = name.strip()
        norm = typed.casefold().replace(" ", "_")
        if norm == "name":
            raise InvalidInput("(a contact's name cannot expire on its own: expire the contact)")
        norm = ALIASES.get(norm.replace("_", "-"), norm)
        if norm in EXPIRABLE:
            return norm
        contact = self.contacts.get_by_id(contact_id)
        for key, _ in contact.fields:
            if key.casefold() == typed.casefold():
                return CUSTOM_PREFIX + key
        raise NotFound("(the contact has no such field)")

    def retain_contact(self, contact_id: bytes, until: date | None) -> ContactRetention:
        """Keep a contact until the end of ``until`` (None: keep it indefinitely)."""
        self.contacts.get_by_id(contact_id)
        self.records.set_expiry(contact_id, None if until is None else end_of_day(until))
        return self.of_contact(contact_id)

    def retain_field(self, contact_id: bytes, name: str, until: date | None) -> ContactRetention:
        """Keep one field of a contact until the end of ``until`` (None: clear the rule)."""
        key = self.field_key(contact_id, name)
        rules = self._field_rules(contact_id)
        if until is None:
            rules.pop(key, None)
        else:
            rules[key] = end_of_day(until)
        self._write_rules(contact_id, rules)
        return self.of_contact(contact_id)

    def retain_segment(self, segment: Segment, until: date | None) -> Segment:
        """Keep a segment until the end of ``until`` (None: indefinitely)."""
        return self.segments.set_expiry(segment, None if until is None else end_of_day(until))

    # -- due -----------------------------------------------------------------------------------

    def plan(self, now: int) -> Plan:
        """What has expired at ``now`` (epoch seconds). Reads only."""
        # Runs on every TUI unlock: list segments (a scan of every membership) only when one
        # is actually due.
        shared = self.segments.all() if self.segments.any_due(now) else []
        due_segments = tuple(s for s in shared if s.expires is not None and s.expires <= now)
        due: dict[bytes, DueContact] = {}
        for contact_id, expires in self.records.expiring("contact"):
            if expires <= now:
                due[contact_id] = self._due(contact_id, expires, "contact")
        gone = {s.id for s in due_segments}
        live_shared = {s.id for s in shared if s.id not in gone}
        for segment in due_segments:
            for contact_id in self.segments.contact_ids(segment):
                still = set(self.records.segments_of(contact_id)) & live_shared
                if contact_id not in due and not still:
                    due[contact_id] = self._due(
                        contact_id, segment.expires or now, f"segment:{segment.name}"
                    )
        fields: list[DueField] = []
        for contact_id in self.records.ids_with_field("contact", EXPIRY_FIELD):
            if contact_id in due:
                continue
            contact = self.contacts.get_by_id(contact_id)
            custom = dict(contact.fields)
            for key, expires in sorted(self._field_rules(contact_id).items()):
                # An empty field is not listed: the rule stays, for a value added later.
                has_value = (
                    field_label(key) in custom
                    if key.startswith(CUSTOM_PREFIX)
                    else bool(getattr(contact, key, None))
                )
                if expires <= now and has_value:
                    fields.append(DueField(contact_id, contact.display_name(), key, expires))
        contacts = tuple(sorted(due.values(), key=lambda c: (c.expires, c.name.casefold(), c.id)))
        return Plan(now, due_segments, contacts, tuple(fields))

    def _due(self, contact_id: bytes, expires: int, because: str) -> DueContact:
        name = self.contacts.get_by_id(contact_id).display_name()
        linked = len(self.records.dependents([contact_id])) - 1
        return DueContact(contact_id, name, expires, because, linked)

    # -- shredding -----------------------------------------------------------------------------

    def apply(self, plan: Plan) -> ExpiryOutcome:
        """Shred exactly what ``plan`` lists (skipping what is already gone); vacuum once."""
        removed = 0
        by_contact: dict[bytes, list[str]] = {}
        for due_field in plan.fields:
            by_contact.setdefault(due_field.contact_id, []).append(due_field.field)
        store = self.records.store
        with store.transaction():
            for contact_id, keys in by_contact.items():
                if self.records.type_of(contact_id) == "contact":
                    removed += self._remove_fields(contact_id, keys)
            alive = [c.id for c in plan.contacts if self.records.type_of(c.id) == "contact"]
            shredded = self.records.shred(alive, vacuum=False)
            deleted = 0
            for segment in plan.segments:
                try:
                    current = self.segments.by_id(segment.id)
                except NotFound:
                    continue
                shredded += self.segments.delete(current, vacuum=False).shredded
                deleted += 1
        if shredded or removed or deleted:
            store.vacuum()
        return ExpiryOutcome(shredded, removed, deleted)

    def _remove_fields(self, contact_id: bytes, keys: list[str]) -> int:
        contact = self.contacts.get_by_id(contact_id)
        draft = contact.draft()
        custom = dict(draft.fields)
        changes: dict[str, Any] = {}
        removed = 0
        for key in keys:
            if key.startswith(CUSTOM_PREFIX):
                removed += custom.pop(field_label(key), None) is not None
            elif key in EXPIRABLE and getattr(draft, key):
                changes[key] = "" if isinstance(getattr(draft, key), str) else ()
                removed += 1
        changes["fields"] = tuple(custom.items())
        self.contacts.update(contact_id, replace(draft, **changes))
        rules = {k: v for k, v in self._field_rules(contact_id).items() if k not in keys}
        self._write_rules(contact_id, rules)
        self.records.reseal(contact_id, fresh_key=True)
        return removed
