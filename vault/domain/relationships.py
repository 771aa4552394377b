"""Relationships between contacts: typed, two-way, shown from both sides.

A relationship is a sealed record of type ``relationship`` (``vault/core/records.py``) whose fields
``kind`` and ``note`` are sealed under its own CDK, in the private segment. It links to its two
contacts (roles ``rel-subject`` and ``rel-object``) with ``dependent=True``, so shredding either
contact shreds the relationship too: no trace of "who knew whom" outlives a deleted person.

Kinds are stored in one direction and read in both::

    kind           subject sees            object sees
    works-with     works with              works with        (symmetric)
    lives-with     lives with              lives with        (symmetric)
    recruited-by   recruited by            recruited
    member-of      member of organization  has member
    reports-to     reports to              manages

Rules and reasons:
- The inverse words (``recruited``, ``manages``, ``has member``) are accepted on input and
  stored as the forward kind with the two contacts swapped, so one fact has one record.
- Relating the same two contacts the same way twice returns the existing record (for symmetric
  kinds in either order): scripts can re-run safely, and duplicates never accumulate.
- A contact cannot be related to itself.
- The link roles reveal which side is which, never the kind or the note: those are sealed.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.contacts import ContactRepository
from vault.errors import IntegrityError, InvalidInput, NotFound, UnknownRelationKind

RECORD_TYPE = "relationship"
SUBJECT = "rel-subject"
OBJECT = "rel-object"
MAX_NOTE = 4096

# kind -> (label seen from the subject, label seen from the object)
KINDS: dict[str, tuple[str, str]] = {
    "works-with": ("works with", "works with"),
    "lives-with": ("lives with", "lives with"),
    "recruited-by": ("recruited by", "recruited"),
    "member-of": ("member of organization", "has member"),
    "reports-to": ("reports to", "manages"),
}
SYMMETRIC = frozenset({"works-with", "lives-with"})
ALIASES = {"member-of-organization": "member-of", "coworker": "works-with"}
INVERSES = {"recruited": "recruited-by", "manages": "reports-to", "has-member": "member-of"}


def parse_kind(text: str) -> tuple[str, bool]:
    """(stored kind, swap the two contacts?) for what a user typed: ``"Recruited by"`` etc."""
    words = unicodedata.normalize("NFC", text).casefold().replace("_", " ").replace("-", " ")
    norm = "-".join(words.split())
    norm = ALIASES.get(norm, norm)
    if norm in KINDS:
        return norm, False
    if norm in INVERSES:
        return INVERSES[norm], True
    raise UnknownRelationKind


def clean_note(note: str) -> str:
    """A note: NFC, stripped, at most 4096 characters, no NUL."""
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"(the note is longer than {MAX_NOTE} characters)")
    if "\x00" in note:
        raise InvalidInput("(the note contains a NUL character)")
    return unicodedata.normalize("NFC", note.strip())


@dataclass(frozen=True)
class Relationship:
    """One stored relationship: ``subject`` <kind> ``object``."""

    id: bytes
    kind: str
    subject: bytes
    object: bytes
    note: str
    created: int

    def same_fact(self, kind: str, subject: bytes, obj: bytes) -> bool:
        """True if this record already says ``subject`` <kind> ``obj``."""
        if kind != self.kind:
            return False
        if (subject, obj) == (self.subject, self.object):
            return True
        return kind in SYMMETRIC and (obj, subject) == (self.subject, self.object)


@dataclass(frozen=True)
class Relation:
    """A relationship as one contact sees it."""

    id: str
    kind: str
    label: str
    other_id: str
    other_name: str
    note: str
    created: int

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith relations``."""
        return {
            "id": self.id,
            "kind": self.kind,
            "label": self.label,
            "other": {"id": self.other_id, "name": self.other_name},
            "note": self.note,
            "created": self.created,
        }


class RelationshipRepository:
    """Relationships stored as sealed records in the private segment."""

    def __init__(self, records: RecordStore, contacts: ContactRepository) -> None:
        self.records = records
        self.contacts = contacts

    def _load(self, record: Record) -> Relationship:
        subject = self.records.links_from(record.id, SUBJECT)
        obj = self.records.links_from(record.id, OBJECT)
        try:
            kind = record.fields["kind"].decode("utf-8")
            note = record.fields.get("note", b"").decode("utf-8")
        except (KeyError, UnicodeDecodeError):
            raise IntegrityError("(a relationship is malformed)") from None
        if kind not in KINDS or len(subject) != 1 or len(obj) != 1:
            raise IntegrityError("(a relationship is malformed)")
        return Relationship(record.id, kind, subject[0], obj[0], note, record.created)

    def get(self, record_id: bytes) -> Relationship:
        """One relationship by full id."""
        record = self.records.get(record_id)
        if record.type != RECORD_TYPE:
            raise NotFound("(no relationship with that id)")
        return self._load(record)

    def resolve(self, prefix: str) -> bytes:
        """The id of the one relationship whose id starts with ``prefix``."""
        return self.records.resolve(RECORD_TYPE, prefix, "relationship")

    def of_contact(self, contact_id: bytes) -> list[Relationship]:
        """Every relationship that names ``contact_id`` on either side."""
        rel_ids = set(self.records.linked_to(contact_id, SUBJECT))
        rel_ids |= set(self.records.linked_to(contact_id, OBJECT))
        return [self.get(r) for r in sorted(rel_ids)]

    def relate(
        self, subject: bytes, kind_text: str, obj: bytes, note: str = ""
    ) -> tuple[Relationship, bool]:
        """Store ``subject`` <kind> ``obj``; (the relationship, True if it is new)."""
        kind, swap = parse_kind(kind_text)
        clean = clean_note(note)
        if swap:
            subject, obj = obj, subject
        if subject == obj:
            raise InvalidInput("(a contact cannot be related to itself)")
        self.contacts.get_by_id(subject)
        self.contacts.get_by_id(obj)
        for existing in self.of_contact(subject):
            if existing.same_fact(kind, subject, obj):
                return existing, False
        values = {"kind": kind.encode()}
        if clean:
            values["note"] = clean.encode("utf-8")
        store = self.records.store
        with store.transaction():
            rel_id = self.records.create(RECORD_TYPE, values, self.contacts.home_segment)
            self.records.link(rel_id, subject, SUBJECT, dependent=True)
            self.records.link(rel_id, obj, OBJECT, dependent=True)
        return self.get(rel_id), True

    def remove(self, record_id: bytes) -> Relationship:
        """Crypto-shred one relationship; the two contacts are untouched."""
        relationship = self.get(record_id)
        self.records.shred([record_id])
        return relationship

    def relations(self, contact_id: bytes) -> list[Relation]:
        """The relationships of one contact, labelled from its side, sorted by label and name."""
        self.contacts.get_by_id(contact_id)
        out: list[Relation] = []
        for rel in self.of_contact(contact_id):
            forward, backward = KINDS[rel.kind]
            is_subject = rel.subject == contact_id
            other = rel.object if is_subject else rel.subject
            out.append(
                Relation(
                    id=ids.full(rel.id),
                    kind=rel.kind,
                    label=forward if is_subject else backward,
                    other_id=ids.full(other),
                    other_name=self.contacts.get_by_id(other).display_name(),
                    note=rel.note,
                    created=rel.created,
                )
            )
        return sorted(out, key=lambda r: (r.label, r.other_name.casefold(), r.id))
