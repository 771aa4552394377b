"""The contact model: frozen values that the rest of Kith passes around.

Only the repository layer (``vault/domain/contacts.py``) maps these onto sealed fields, tables
and columns. A ``ContactDraft`` is what a user, an importer or a sync merge proposes; it has no
id or times. A ``Contact`` is a draft that has been stored.

Rules (checked by ``vault/domain/validate.py`` before anything is stored, never here):
- emails are checked with ``email-validator`` (no network) and kept normalized;
- phones are E.164 (``+33612345678``) when they parse, else the original text is kept with
  ``valid=False`` so nothing a user typed is lost;
- tags are stripped, case-preserving, unique case-insensitively;
- custom field keys are non-empty, without ``=``, unique.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any


@dataclass(frozen=True)
class Email:
    """One email address with an optional label (home, work, ...)."""

    value: str
    label: str = ""


@dataclass(frozen=True)
class Phone:
    """One phone number: E.164 when ``valid``, else the text as typed."""

    value: str
    label: str = ""
    valid: bool = True


@dataclass(frozen=True)
class Address:
    """One postal address; every part is optional."""

    street: str = ""
    locality: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    label: str = ""

    def is_empty(self) -> bool:
        """True when no part other than the label is set."""
        return not any((self.street, self.locality, self.region, self.postal_code, self.country))


@dataclass(frozen=True)
class ContactDraft:
    """A contact's fields before (or without) storage."""

    name: str = ""
    given_name: str = ""
    family_name: str = ""
    emails: tuple[Email, ...] = ()
    phones: tuple[Phone, ...] = ()
    addresses: tuple[Address, ...] = ()
    org: str = ""
    role: str = ""
    languages: tuple[str, ...] = ()
    notes: str = ""
    tags: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()

    def composed_name(self) -> str:
        """The contact's name: ``name``, else given + family, else the organization.

        What ``--json`` gives as ``name`` (issue 14): Outlook and Google CSV carry only the
        parts, and an organization's own card (empty FN, CiviCRM Organization) only its org.
        """
        if self.name:
            return self.name
        joined = " ".join(p for p in (self.given_name, self.family_name) if p)
        return joined or self.org

    def display_name(self) -> str:
        """The name to show: ``composed_name()``, else the first email or phone."""
        composed = self.composed_name()
        if composed:
            return composed
        if self.emails:
            return self.emails[0].value
        if self.phones:
            return self.phones[0].value
        return ""


@dataclass(frozen=True)
class Contact(ContactDraft):
    """A stored contact: a draft plus its id, segments and times (UTC epoch seconds)."""

    id: str = ""
    segments: tuple[str, ...] = ()
    created: int = 0
    updated: int = 0

    def draft(self) -> ContactDraft:
        """The editable part of this contact."""
        names = {f.name for f in fields(ContactDraft)}
        return ContactDraft(**{n: getattr(self, n) for n in names})

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of the CLI contract (issue 2)."""
        return {
            "id": self.id,
            "name": self.composed_name(),
            "given_name": self.given_name,
            "family_name": self.family_name,
            "emails": [{"value": e.value, "label": e.label} for e in self.emails],
            "phones": [{"value": p.value, "label": p.label} for p in self.phones],
            "addresses": [
                {
                    "street": a.street,
                    "locality": a.locality,
                    "region": a.region,
                    "postal_code": a.postal_code,
                    "country": a.country,
                    "label": a.label,
                }
                for a in self.addresses
            ],
            "org": self.org,
            "role": self.role,
            "languages": list(self.languages),
            "notes": self.notes,
            "tags": list(self.tags),
            "segments": list(self.segments),
            "fields": dict(self.fields),
            "created": self.created,
            "updated": self.updated,
        }


__all__ = ["Address", "Contact", "ContactDraft", "Email", "Phone"]
