"""The edit form as text: a contact to the texts of its fields, and the texts back to a draft.

Rules and reasons:
- Multi-valued fields are one item per line: emails and phones as ``[label:] value`` (labels are
  the known words of `vault.domain.validate.split_label`: home, work, mobile...), addresses as
  ``[label:] street; city; region; postcode; country``, tags one per line, custom fields as
  ``KEY=VALUE``. Languages are one line, comma-separated.
- What the form shows is sanitized (`tui.safe_text.safe`), so a stored value holding control
  characters is shown harmlessly. A line or field the user did not change keeps its stored value
  exactly, so opening and saving a contact changes nothing by accident: not a stripped control
  character, not an unknown label, not a phone number kept as typed by an import.
- New or changed phone numbers must parse (strict, as when typed on the command line); numbers
  left as they were are kept even if they never parsed.
- Every problem is a `FieldError` naming the form field, with the vault's one-line message
  (which never repeats the value).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TypeVar

from tui.safe_text import safe
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.validate import (
    normalize_email,
    normalize_phone,
    normalize_typed,
    parse_address,
    parse_field_assignment,
    split_label,
)
from vault.errors import InvalidInput

__all__ = ["MULTI_LINE", "SINGLE_LINE", "FieldError", "form_texts", "parse_form"]

SINGLE_LINE = ("name", "given_name", "family_name", "org", "role", "languages")
MULTI_LINE = ("emails", "phones", "addresses", "tags", "fields", "notes")

T = TypeVar("T")


class FieldError(Exception):
    """A form field that cannot be saved as it is."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _labelled(label: str, value: str) -> str:
    return f"{label}: {value}" if label else value


def render_email(item: Email) -> str:
    """One email as a form line."""
    return safe(_labelled(item.label, item.value))


def render_phone(item: Phone) -> str:
    """One phone as a form line."""
    return safe(_labelled(item.label, item.value))


def render_address(item: Address) -> str:
    """One address as a form line (trailing empty parts left out)."""
    parts = [item.street, item.locality, item.region, item.postal_code, item.country]
    while parts and not parts[-1]:
        parts.pop()
    return safe(_labelled(item.label, "; ".join(parts)))


def render_field(item: tuple[str, str]) -> str:
    """One custom field as a form line."""
    return safe(f"{item[0]}={item[1]}")


def _multiline(text: str) -> str:
    return "\n".join(safe(line) for line in text.splitlines())


def form_texts(draft: ContactDraft | None) -> dict[str, str]:
    """The text of every form field for `draft` (empty for a new contact)."""
    d = draft or ContactDraft()
    return {
        "name": safe(d.name),
        "given_name": safe(d.given_name),
        "family_name": safe(d.family_name),
        "org": safe(d.org),
        "role": safe(d.role),
        "languages": ", ".join(safe(x) for x in d.languages),
        "emails": "\n".join(render_email(x) for x in d.emails),
        "phones": "\n".join(render_phone(x) for x in d.phones),
        "addresses": "\n".join(render_address(x) for x in d.addresses),
        "tags": "\n".join(safe(x) for x in d.tags),
        "fields": "\n".join(render_field(x) for x in d.fields),
        "notes": _multiline(d.notes),
    }


def _items(
    field: str,
    text: str,
    originals: tuple[T, ...],
    render: Callable[[T], str],
    parse: Callable[[str, int], T],
) -> tuple[T, ...]:
    """Parse one item per non-blank line; a line equal to a stored item's keeps that item."""
    kept = {render(item): item for item in originals}
    out: list[T] = []
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for position, line in enumerate(lines, 1):
        if line in kept:
            out.append(kept[line])
            continue
        try:
            out.append(parse(line, position))
        except InvalidInput as error:
            raise FieldError(field, error.message) from None
    return tuple(out)


def _error_field(message: str) -> str:
    """Which form field a message from `normalize_draft` is about."""
    lowered = message.lower()
    for needle, field in (
        ("needs a name", "name"), ("email", "emails"), ("phone", "phones"),
        ("address", "addresses"), ("tag", "tags"),
        ("custom field", "fields"), ("language", "languages"), ("notes", "notes"),
        ("organization", "org"), ("role", "role"), ("given name", "given_name"),
        ("family name", "family_name"),
    ):  # fmt: skip
        if needle in lowered:
            return field
    return "name"


def parse_form(
    texts: Mapping[str, str], original: ContactDraft | None, region: str
) -> ContactDraft:
    """The normalized draft the form describes; raises `FieldError` on the first problem."""
    old = original or ContactDraft()
    shown = form_texts(original)

    def text(field: str, stored: str) -> str:
        value = texts.get(field, "")
        return stored if value == shown[field] else value

    def email(line: str, position: int) -> Email:
        value, label = split_label(line)
        return normalize_email(value, label, position=position)

    def phone(line: str, position: int) -> Phone:
        value, label = split_label(line)
        return normalize_phone(value, region, label, strict=True, position=position)

    def field_pair(line: str, _position: int) -> tuple[str, str]:
        key, value = parse_field_assignment(line)
        return key, value.strip()

    languages = (
        old.languages
        if texts.get("languages", "") == shown["languages"]
        else tuple(x.strip() for x in texts.get("languages", "").split(",") if x.strip())
    )
    draft = ContactDraft(
        name=text("name", old.name).strip(),
        given_name=text("given_name", old.given_name).strip(),
        family_name=text("family_name", old.family_name).strip(),
        org=text("org", old.org).strip(),
        role=text("role", old.role).strip(),
        languages=languages,
        emails=_items("emails", texts.get("emails", ""), old.emails, render_email, email),
        phones=_items("phones", texts.get("phones", ""), old.phones, render_phone, phone),
        addresses=_items(
            "addresses",
            texts.get("addresses", ""),
            old.addresses,
            render_address,
            lambda line, _p: parse_address(line),
        ),
        tags=_items("tags", texts.get("tags", ""), old.tags, safe, lambda line, _p: line),
        fields=_items("fields", texts.get("fields", ""), old.fields, render_field, field_pair),
        notes=text("notes", old.notes),
    )
    try:
        return normalize_typed(draft, region, original)
    except InvalidInput as error:
        raise FieldError(_error_field(error.message), error.message) from None
