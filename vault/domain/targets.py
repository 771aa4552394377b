"""Targets: decision-makers and opponents a campaign tracks, with where they stand.

A target is an ordinary contact plus one sealed record of type ``target`` linked to it (role
``target-of``, ``dependent=True``: deleting the contact shreds its target record). The record's
sealed fields are ``institution``, ``stance``, ``role`` (an optional override of the contact's
own role, e.g. "chair, housing committee") and ``notes``.

Stance is a whole number on one scale, so a campaign can sort and count::

    1 strong supporter   2 supporter   3 undecided   4 opponent   5 strong opponent

Rules and reasons:
- One target record per contact: ``set`` creates it or changes only what is given.
- A new target needs an institution and a stance; an empty ``role`` or ``notes`` clears them.
- The stance is sealed like every other value: who a campaign counts as an opponent is exactly
  the kind of list a seizure is after.
- The target record is wrapped for every segment its contact is in, and follows the contact in
  and out of segments (``vault/domain/segments.py``), so a campaign that shares a decision-maker
  shares where they stand.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.contacts import ContactRepository
from vault.domain.segments import TARGET_ROLE
from vault.errors import IntegrityError, InvalidInput, NotFound, StanceOutOfRange

RECORD_TYPE = "target"
STANCES: dict[int, str] = {
    1: "strong supporter",
    2: "supporter",
    3: "undecided",
    4: "opponent",
    5: "strong opponent",
}
MAX_TEXT = 4096
MAX_NOTES = 64 * 1024


def parse_stance(value: str | int) -> int:
    """A stance from 1 to 5; anything else (0, 6, 2.5, "high") is ``StanceOutOfRange``."""
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) not in STANCES:
        raise StanceOutOfRange
    return int(text)


def _clean(value: str, what: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise InvalidInput(f"({what} is longer than {limit} characters)")
    if "\x00" in value:
        raise InvalidInput(f"({what} contains a NUL character)")
    return unicodedata.normalize("NFC", value.strip())


@dataclass(frozen=True)
class Target:
    """A contact seen as a target."""

    id: bytes
    contact_id: bytes
    name: str
    institution: str
    stance: int
    role: str
    role_override: str
    notes: str
    updated: int

    @property
    def stance_label(self) -> str:
        """``strong supporter`` ... ``strong opponent``."""
        return STANCES[self.stance]

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith target show|list|set``."""
        return {
            "contact": {"id": ids.full(self.contact_id), "name": self.name},
            "institution": self.institution,
            "stance": self.stance,
            "stance_label": self.stance_label,
            "role": self.role,
            "notes": self.notes,
            "updated": self.updated,
        }


class TargetRepository:
    """Target records, one per contact at most."""

    def __init__(self, records: RecordStore, contacts: ContactRepository) -> None:
        self.records = records
        self.contacts = contacts

    def record_for(self, contact_id: bytes) -> bytes | None:
        """The id of the contact's target record, if it has one."""
        found = self.records.linked_to(contact_id, TARGET_ROLE)
        return found[0] if found else None

    def _build(self, record: Record, contact_id: bytes) -> Target:
        contact = self.contacts.get_by_id(contact_id)
        try:
            text = {k: v.decode("utf-8") for k, v in record.fields.items()}
            stance = parse_stance(text["stance"])
        except (KeyError, UnicodeDecodeError, StanceOutOfRange):
            raise IntegrityError("(a target record is malformed)") from None
        override = text.get("role", "")
        return Target(
            id=record.id,
            contact_id=contact_id,
            name=contact.display_name(),
            institution=text.get("institution", ""),
            stance=stance,
            role=override or contact.role,
            role_override=override,
            notes=text.get("notes", ""),
            updated=record.updated,
        )

    def get(self, contact_id: bytes) -> Target:
        """The contact's target details, or ``NotFound`` if it is not a target."""
        self.contacts.get_by_id(contact_id)
        record_id = self.record_for(contact_id)
        if record_id is None:
            raise NotFound("(that contact is not a target: use `kith target set`)")
        return self._build(self.records.get(record_id), contact_id)

    def set(
        self,
        contact_id: bytes,
        *,
        institution: str | None = None,
        stance: str | int | None = None,
        role: str | None = None,
        notes: str | None = None,
    ) -> Target:
        """Create the contact's target record or change the parts given; validates all first."""
        self.contacts.get_by_id(contact_id)
        changes: dict[str, bytes | None] = {}
        if institution is not None:
            clean = _clean(institution, "the institution")
            if not clean:
                raise InvalidInput("(the institution cannot be empty)")
            changes["institution"] = clean.encode()
        if stance is not None:
            changes["stance"] = str(parse_stance(stance)).encode()
        for name, value, limit in (("role", role, MAX_TEXT), ("notes", notes, MAX_NOTES)):
            if value is not None:
                clean = _clean(value, f"the {name}", limit)
                changes[name] = clean.encode() if clean else None
        existing = self.record_for(contact_id)
        if existing is None:
            if "institution" not in changes or "stance" not in changes:
                raise InvalidInput("(a new target needs an institution and a stance)")
            values = {k: v for k, v in changes.items() if v is not None}
            with self.records.store.transaction():
                existing = self.records.create(RECORD_TYPE, values, self.contacts.home_segment)
                self.records.link(existing, contact_id, TARGET_ROLE, dependent=True)
                for segment_id in self.records.segments_of(contact_id):
                    self.records.add_to_segment(existing, segment_id)
        elif changes:
            self.records.update(existing, changes)
        return self.get(contact_id)

    def clear(self, contact_id: bytes) -> Target:
        """Crypto-shred the contact's target record; the contact itself stays."""
        target = self.get(contact_id)
        self.records.shred([target.id])
        return target

    def all(self, stance: str | int | None = None) -> list[Target]:
        """Every target (of one stance if given), by stance then name."""
        wanted = None if stance is None else parse_stance(stance)
        out: list[Target] = []
        for record in self.records.iter_type(RECORD_TYPE):
            contact_ids = self.records.links_from(record.id, TARGET_ROLE)
            if len(contact_ids) != 1:
                raise IntegrityError("(a target record is malformed)")
            target = self._build(record, contact_ids[0])
            if wanted is None or target.stance == wanted:
                out.append(target)
        return sorted(out, key=lambda t: (t.stance, t.name.casefold(), t.contact_id))
