"""JSON out, and back in: a list of contact objects.

Each object has the shape of ``Contact.to_json()`` (the CLI's ``--json`` contract) without
``id``, ``segments``, ``created`` and ``updated``, which belong to one vault and mean nothing in
another. Reason for reusing that shape: one JSON shape across the CLI, exports and imports, so a
script written against ``kith list --json`` also reads an export, and ``kith list --json``
output can be imported (those four keys are accepted and ignored).

Rules: the writer streams one object per line inside ``[`` ... ``]`` (UTF-8, not ASCII-escaped;
control characters are escaped by JSON itself, so nothing is lost). The reader decodes one object
at a time, records the line where each object starts, and refuses with that line any value of the
wrong type, any unknown key and any string over 64 KiB. A phone's ``valid`` flag is not part of
the shape: every phone read is ``valid=True`` until ``vault/domain/validate.py`` decides.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput
from vault.interchange.import_record import MAX_VALUE_CHARS, ImportRecord

_SPACE = re.compile(r"[ \t\r\n]*")
_ADDRESS_KEYS = ("street", "locality", "region", "postal_code", "country", "label")
_KEYS = frozenset({"name", "given_name", "family_name", "emails", "phones", "addresses", "org",
                   "role", "languages", "notes", "tags", "fields"})  # fmt: skip
_IGNORED = frozenset({"id", "segments", "created", "updated"})


def draft_to_json(d: ContactDraft) -> dict[str, Any]:
    """The export object for one contact (``Contact.to_json()`` minus the vault's own keys)."""
    return {
        "name": d.name,
        "given_name": d.given_name,
        "family_name": d.family_name,
        "emails": [{"value": e.value, "label": e.label} for e in d.emails],
        "phones": [{"value": p.value, "label": p.label} for p in d.phones],
        "addresses": [{k: getattr(a, k) for k in _ADDRESS_KEYS} for a in d.addresses],
        "org": d.org,
        "role": d.role,
        "languages": list(d.languages),
        "notes": d.notes,
        "tags": list(d.tags),
        "fields": dict(d.fields),
    }


def write_json(contacts: Iterable[ContactDraft]) -> Iterator[str]:
    """A JSON list, one object per line, produced lazily."""
    yield "["
    separator = "\n"
    for draft in contacts:
        yield separator + json.dumps(draft_to_json(draft), ensure_ascii=False)
        separator = ",\n"
    yield "\n]\n"


class _Object:
    """Typed access to one decoded object; every failure names the object's line."""

    def __init__(self, raw: object, line: int) -> None:
        if not isinstance(raw, dict):
            raise InvalidInput(f"(the item at line {line} is not a JSON object)")
        if raw.keys() - _KEYS - _IGNORED:
            raise InvalidInput(f"(the object at line {line} has an unknown key)")
        self.raw: dict[str, Any] = raw
        self.line = line

    def string(self, value: object, what: str) -> str:
        if not isinstance(value, str):
            raise InvalidInput(f"({what} in the object at line {self.line} must be a string)")
        if len(value) > MAX_VALUE_CHARS:
            raise InvalidInput(f"({what} in the object at line {self.line} is over 64 KiB)")
        return value

    def text(self, key: str) -> str:
        return self.string(self.raw.get(key, ""), key)

    def items(self, key: str, expected: type[list[Any]] | type[dict[str, Any]]) -> list[Any]:
        value = self.raw.get(key, expected())
        if not isinstance(value, expected):
            raise InvalidInput(f"({key} in the object at line {self.line} has the wrong type)")
        return list(value.items()) if isinstance(value, dict) else list(value)

    def parts(self, key: str, names: tuple[str, ...]) -> list[list[str]]:
        out = []
        for item in self.items(key, list):
            if not isinstance(item, dict) or item.keys() - set(names):
                raise InvalidInput(f"(an item of {key} in the object at line {self.line} "
                                   "is not a valid object)")  # fmt: skip
            out.append([self.string(item.get(n, ""), key) for n in names])
        return out

    def draft(self) -> ContactDraft:
        return ContactDraft(
            name=self.text("name"),
            given_name=self.text("given_name"),
            family_name=self.text("family_name"),
            emails=tuple(Email(v, lb) for v, lb in self.parts("emails", ("value", "label"))),
            phones=tuple(Phone(v, lb) for v, lb in self.parts("phones", ("value", "label"))),
            addresses=tuple(Address(*p) for p in self.parts("addresses", _ADDRESS_KEYS)),
            org=self.text("org"),
            role=self.text("role"),
            languages=tuple(self.string(x, "languages") for x in self.items("languages", list)),
            notes=self.text("notes"),
            tags=tuple(self.string(x, "tags") for x in self.items("tags", list)),
            fields=tuple(
                (self.string(k, "fields"), self.string(v, "fields"))
                for k, v in self.items("fields", dict)
            ),
        )


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    found = _SPACE.match(text, pos)
    return found.end() if found else pos


def _objects(text: str, pos: int) -> Iterator[ImportRecord]:
    decoder = json.JSONDecoder()
    line, counted = 1, 0
    while text[pos : pos + 1] != "]":
        line, counted = line + text.count("\n", counted, pos), pos
        try:
            raw, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as err:
            raise InvalidInput(f"(invalid JSON at line {err.lineno}, column {err.colno})") from None
        except RecursionError:
            raise InvalidInput(f"(the JSON at line {line} is nested too deeply)") from None
        except ValueError:  # a number of thousands of digits (int conversion limit)
            raise InvalidInput(f"(the JSON at line {line} holds a number too long)") from None
        yield ImportRecord(line, _Object(raw, line).draft(), False)
        pos = _skip(text, pos)
        if text[pos : pos + 1] == ",":
            pos = _skip(text, pos + 1)
            if text[pos : pos + 1] == "]":
                raise InvalidInput(f"(invalid JSON at line {_line(text, pos)}: trailing ',')")
        elif text[pos : pos + 1] != "]":
            raise InvalidInput(f"(invalid JSON at line {_line(text, pos)}: expected ',' or ']')")
    if text[pos + 1 :].strip():
        raise InvalidInput(f"(unexpected text after the JSON list at line {_line(text, pos + 1)})")


def read_json(text: str) -> Iterator[ImportRecord]:
    """Records from a JSON list of contact objects. The opening ``[`` is checked now; objects
    are decoded lazily, one at a time."""
    pos = _skip(text, 0)
    if text[pos : pos + 1] != "[":
        raise InvalidInput("(a JSON import must be a list of contact objects)")
    return _objects(text, _skip(text, pos + 1))


def read_contact_object(text: str) -> tuple[ContactDraft, frozenset[str]]:
    """One contact object, the shape ``kith show --json`` prints (``kith add/edit --from``).

    Returns the draft and the keys the object holds, so an edit changes only those. The same
    strict rules as an import: unknown keys, wrong types and values over 64 KiB are refused, and
    so is anything after the object. ``id``, ``segments``, ``created`` and ``updated`` are
    accepted and ignored, so the output of ``kith show --json`` can be fed back as is.
    """
    pos = _skip(text, 0)
    try:
        raw, end = json.JSONDecoder().raw_decode(text, pos)
    except json.JSONDecodeError as err:
        raise InvalidInput(f"(invalid JSON at line {err.lineno}, column {err.colno})") from None
    except RecursionError:
        raise InvalidInput("(the JSON is nested too deeply)") from None
    if text[end:].strip():
        raise InvalidInput(f"(unexpected text after the contact object at line {_line(text, end)})")
    found = _Object(raw, _line(text, pos))
    return found.draft(), frozenset(found.raw.keys() & _KEYS)


__all__ = ["draft_to_json", "read_contact_object", "read_json", "write_json"]
