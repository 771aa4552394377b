"""Validation and normalization of what people type into a contact.

Rules and reasons:
- Emails are checked by ``email-validator`` with no network (a lookup would tell a DNS server
  who is in the vault) and stored in its normalized form.
- Phones are stored as E.164 (``+33612345678``) using the given default region for national
  numbers. In strict mode (typed by hand) a number that cannot be parsed is refused, so a typo is
  caught; in lenient mode (imports) the original text is kept with ``valid=False``, so nothing is
  silently lost.
- Error messages name the field and its position, never its value: errors may end up on a
  screen, in a shell history or in a crash report, and must not carry contact data.
"""

from __future__ import annotations

import unicodedata
from dataclasses import replace

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.names import split_full_name
from vault.domain.text import require_text_in
from vault.errors import InvalidInput

MAX_TEXT = 4096
MAX_NOTES = 64 * 1024
MAX_TAG = 64
MAX_ITEMS = 100
MAX_FIELDS = 200  # custom fields per contact; readers stop collecting past it (issue 14)
KNOWN_LABELS = frozenset(
    {"home", "work", "mobile", "cell", "other", "main", "fax", "school", "personal", "pager"}
)


def split_label(text: str) -> tuple[str, str]:
    """``"work:ana@example.org"`` -> ``("ana@example.org", "work")`` for known label words."""
    head, sep, rest = text.partition(":")
    if sep and head.strip().lower() in KNOWN_LABELS:
        return rest.strip(), head.strip().lower()
    return text.strip(), ""


def normalize_email(text: str, label: str = "", *, position: int = 1) -> Email:
    """A validated, normalized email address."""
    from email_validator import EmailNotValidError, validate_email  # start-up: issue 12 §3

    try:
        result = validate_email(text.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise InvalidInput(f"(email {position} is not a valid address)") from None
    return Email(result.normalized, label)


def normalize_phone(
    text: str, region: str, label: str = "", *, strict: bool, position: int = 1
) -> Phone:
    """E.164 if the number parses for ``region``; else refused (strict) or kept as typed."""
    import phonenumbers  # imported when first used: process start-up (issue 12 §3)

    raw = text.strip()
    try:
        number = phonenumbers.parse(raw, region.upper() or None)
        if phonenumbers.is_possible_number(number):
            return Phone(
                phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), label
            )
    except phonenumbers.NumberParseException:
        pass
    if strict:
        raise InvalidInput(
            f"(phone {position} is not a valid number for region {region or '?'}; "
            "write it with +country code)"
        )
    return Phone(raw, label, valid=False)


def check_region(region: str) -> str:
    """A two-letter region code phonenumbers knows (``FR``, ``US``...)."""
    import phonenumbers

    code = region.strip().upper()
    if code not in phonenumbers.SUPPORTED_REGIONS:
        raise InvalidInput("(region must be a two-letter country code such as FR or US)")
    return code


def _text(value: str, what: str, limit: int = MAX_TEXT) -> str:
    if len(value) > limit:
        raise InvalidInput(f"({what} is longer than {limit} characters)")
    if "\x00" in value:
        raise InvalidInput(f"({what} contains a NUL character)")
    return unicodedata.normalize("NFC", value.strip())


def normalize_tags(tags: tuple[str, ...]) -> tuple[str, ...]:
    """Stripped, non-empty, unique case-insensitively (first spelling wins)."""
    seen: dict[str, str] = {}
    for tag in tags:
        clean = _text(tag, "a tag", MAX_TAG)
        if clean and clean.casefold() not in seen:
            seen[clean.casefold()] = clean
    return tuple(seen.values())


def normalize_fields(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    """Custom fields: keys non-empty, without '=', unique (last value wins)."""
    out: dict[str, str] = {}
    for key, value in pairs:
        clean_key = _text(key, "a custom field name", 64)
        if not clean_key or "=" in clean_key:
            raise InvalidInput("(custom field names must be non-empty and contain no '=')")
        out[clean_key] = _text(value, "a custom field value")
    return tuple(out.items())


def parse_field_assignment(text: str) -> tuple[str, str]:
    """``KEY=VALUE`` from the command line."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise InvalidInput("(custom fields are written KEY=VALUE)")
    return key.strip(), value


def parse_address(text: str) -> Address:
    """``street; locality; region; postal code; country`` (vCard ADR order), optional label."""
    body, label = split_label(text)
    parts = [p.strip() for p in body.split(";")]
    if len(parts) > 5:
        raise InvalidInput(
            "(an address has at most 5 parts: street; city; region; postcode; country)"
        )
    parts += [""] * (5 - len(parts))
    street, locality, region, postal_code, country = parts
    address = Address(street, locality, region, postal_code, country, label)
    if address.is_empty():
        raise InvalidInput("(the address is empty)")
    return address


def normalize_draft(draft: ContactDraft, region: str, *, strict: bool) -> ContactDraft:
    """Every rule above applied to a whole draft; raises ``InvalidInput`` on the first problem."""
    require_text_in(draft, "")  # before anything else: dry run and real run alike
    for many, what in (
        (draft.emails, "emails"),
        (draft.phones, "phones"),
        (draft.addresses, "addresses"),
        (draft.tags, "tags"),
    ):
        if len(many) > MAX_ITEMS:
            raise InvalidInput(f"(more than {MAX_ITEMS} {what})")
    if len(draft.fields) > MAX_FIELDS:
        raise InvalidInput(f"(more than {MAX_FIELDS} custom fields)")
    emails: dict[str, Email] = {}
    for i, email in enumerate(draft.emails, 1):
        clean = normalize_email(email.value, email.label, position=i)
        emails.setdefault(clean.value.casefold(), clean)
    phones: dict[str, Phone] = {}
    for i, phone in enumerate(draft.phones, 1):
        clean_phone = normalize_phone(phone.value, region, phone.label, strict=strict, position=i)
        phones.setdefault(clean_phone.value, clean_phone)
    addresses = tuple(
        Address(
            *(
                _text(getattr(a, f), "an address part")
                for f in ("street", "locality", "region", "postal_code", "country", "label")
            )
        )
        for a in draft.addresses
        if not a.is_empty()
    )
    normalized = ContactDraft(
        name=_text(draft.name, "the name"),
        given_name=_text(draft.given_name, "the given name"),
        family_name=_text(draft.family_name, "the family name"),
        emails=tuple(emails.values()),
        phones=tuple(phones.values()),
        addresses=addresses,
        org=_text(draft.org, "the organization"),
        role=_text(draft.role, "the role"),
        languages=tuple(
            dict.fromkeys(_text(x, "a language", 64) for x in draft.languages if x.strip())
        ),
        notes=_text(draft.notes, "the notes", MAX_NOTES),
        tags=normalize_tags(draft.tags),
        fields=normalize_fields(draft.fields),
    )
    if normalized.name and not (normalized.given_name or normalized.family_name):
        given, family = split_full_name(normalized.name, normalized.org)  # vault/domain/names.py
        normalized = replace(normalized, given_name=given, family_name=family)
    if not normalized.display_name():
        raise InvalidInput("(a contact needs a name, an email or a phone)")
    return normalized


def normalize_typed(
    draft: ContactDraft, region: str, base: ContactDraft | None = None
) -> ContactDraft:
    """A contact a person typed or edited (the CLI's options and ``--from``, the TUI's form):
    the one rule for every interactive writer (issue 15).

    Every value is checked strictly, except a phone kept unchanged from ``base`` that never
    parsed: an import keeps such a number as typed (``valid=False``, lenient on purpose so no
    data is lost), and re-checking it would make that contact impossible to edit at all.
    Imports themselves stay lenient (``normalize_draft(strict=False)``, with a warning).
    """
    kept = {p.value for p in (base.phones if base else ()) if not p.valid}
    new_phones = tuple(p for p in draft.phones if p.valid or p.value not in kept)
    normalize_draft(replace(draft, phones=new_phones), region, strict=True)
    return normalize_draft(draft, region, strict=False)
