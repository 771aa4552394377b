"""What every reader yields, and the few rules all formats share.

A reader turns a file into ``ImportRecord`` values: a ``ContactDraft`` plus the line where it
started (so the importer can say "line 120: not a valid email" without quoting the email) and
whether the record is a *group* rather than a person (vCard ``KIND:group``, Apple's
``X-ADDRESSBOOKSERVER-KIND:group``). Readers never validate or normalize emails and phones:
``vault/domain/validate.py`` does that for every way a contact enters the vault, in one place.

Shared rules, with their reasons:
- No single value may exceed ``MAX_VALUE_CHARS`` (64 KiB). Reason: a contact file is typed by
  people; a multi-megabyte cell is a mistake or an attack, and refusing it early keeps memory and
  time bounded. Binary properties (vCard ``PHOTO``) are skipped, never measured.
- Control characters other than tab, newline, carriage return, vertical tab and form feed never
  appear in a real contact file: readers refuse them as binary data, and the vCard and CSV writers
  drop them (``CONTROL_CHARS``) so that what Kith writes it can read back. JSON escapes them, so
  the JSON writer keeps them.
- Labels from foreign files are lower-cased when they are a known word (``Home`` -> ``home``) and
  kept as written otherwise, so a custom label a user typed survives.
- Custom field keys are unique: a repeated key gets `` 2``, `` 3``... (the model requires unique
  keys, and silently dropping the second value would lose data).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from typing import Any

from vault.domain.model import ContactDraft
from vault.domain.validate import MAX_FIELDS

MAX_VALUE_CHARS = 64 * 1024

CONTROL_CHARS = re.compile("[\x00-\x08\x0e-\x1f]")
"""Characters a contact file never holds; the vCard and CSV writers drop them."""

KNOWN_LABELS = frozenset(
    {
        "home", "work", "cell", "mobile", "other", "main", "fax", "pager", "school",
        "personal", "text", "video", "textphone", "car", "iphone", "homepage", "billing",
        "home fax", "work fax", "other fax", "assistant", "callback", "isdn", "radio", "telex",
    }
)  # fmt: skip


@dataclass(frozen=True)
class ImportRecord:
    """One record read from a file.

    ``line`` is the 1-based line where the record starts; ``is_group`` marks a vCard group
    (a list of members, not a person) that the importer skips.
    """

    line: int
    draft: ContactDraft
    is_group: bool


def normalize_label(text: str) -> str:
    """A label from a foreign file: known words lower-cased, anything else kept (stripped).

    Reason: ``HOME``, ``Home`` and ``home`` are the same label to a person, but ``Campaign
    office`` is something the user typed and must come back exactly.
    """
    clean = text.strip()
    return clean.lower() if clean.lower() in KNOWN_LABELS else clean


class FieldBag:
    """Custom fields in file order, with unique keys (a repeat becomes ``key 2``, ``key 3``).

    Linear: the next free number of each key is remembered, so N repeats of one key cost O(N),
    not O(N^2) (16,000 ``URL:`` lines in one vCard once took 16 s). Bounded: past
    ``MAX_FIELDS`` it keeps one more field and ignores the rest, so the record is refused by
    validation ("more than 200 custom fields") without a 100,000-field card being built.
    """

    def __init__(self) -> None:
        self._items: dict[str, str] = {}
        self._next: dict[str, int] = {}

    def add(self, key: str, value: str) -> None:
        """Add ``key=value``; an empty key becomes ``custom``; a taken key gets a number."""
        if len(self._items) > MAX_FIELDS:
            return  # already over the limit: the record will be refused anyway
        base = key.strip().replace("=", "-") or "custom"
        unique, n = base, self._next.get(base, 1)
        if n > 1 or unique in self._items:
            n = max(n, 2)
            unique = f"{base} {n}"
            while unique in self._items:
                n += 1
                unique = f"{base} {n}"
        self._next[base] = n + 1 if n > 1 else 2
        self._items[unique] = value

    def items(self) -> tuple[tuple[str, str], ...]:
        """The fields as the model stores them."""
        return tuple(self._items.items())


def split_escaped(text: str, seps: str) -> list[str]:
    """Split ``text`` on any character of ``seps`` not escaped by a backslash.

    Escapes are left in place for the caller's own unescaping rules (vCard and Kith CSV differ).
    """
    if "\\" not in text:
        return re.split(f"[{re.escape(seps)}]", text) if len(seps) > 1 else text.split(seps)
    parts: list[str] = []
    current: list[str] = []
    chars = iter(text)
    for ch in chars:
        if ch == "\\":
            current += [ch, next(chars, "")]
        elif ch in seps:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return CONTROL_CHARS.sub("", value)
    if isinstance(value, tuple):
        return tuple(_clean(v) for v in value)
    if hasattr(value, "__dataclass_fields__"):
        return replace(value, **{f.name: _clean(getattr(value, f.name)) for f in fields(value)})
    return value


def without_controls(draft: ContactDraft) -> ContactDraft:
    """``draft`` with ``CONTROL_CHARS`` removed from every string (a plain draft, never a
    stored ``Contact``: writers only need the draft part)."""
    names = [f.name for f in fields(ContactDraft)]
    return ContactDraft(**{n: _clean(getattr(draft, n)) for n in names})


def join_unique(parts: list[str], sep: str) -> str:
    """Non-empty ``parts`` joined by ``sep``, each distinct value once, first spelling first."""
    return sep.join(dict.fromkeys(p for p in parts if p))


__all__ = [
    "CONTROL_CHARS",
    "KNOWN_LABELS",
    "MAX_FIELDS",
    "MAX_VALUE_CHARS",
    "FieldBag",
    "ImportRecord",
    "join_unique",
    "normalize_label",
    "split_escaped",
    "without_controls",
]
