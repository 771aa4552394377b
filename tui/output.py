"""How the CLI prints: JSON for scripts, plain sanitized text for people.

Output rules (as in age's ``cmd/age/tui.go``):
- Results go to stdout; progress, prompts, warnings and errors go to stderr.
- ``--json`` prints one JSON value: an object for one item, an array for several. UTF-8, no
  escaping of non-ASCII, so names in any script survive a pipe.
- Human output passes every user-supplied string through ``safe_text.safe`` so a contact cannot
  send escape sequences to the terminal.
- Errors are one line: ``kith: <message>``.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import click

from tui.safe_text import safe
from vault import ids
from vault.domain.model import Contact


def emit_json(value: Any) -> None:
    """Print one JSON value."""
    click.echo(json.dumps(value, ensure_ascii=False, indent=2))


def when(epoch: int) -> str:
    """A UTC timestamp for people."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def short_id(full_hex: str) -> str:
    """The short form of a full hex id."""
    return full_hex[: ids.SHORT_DIGITS]


def contact_lines(contact: Contact) -> list[str]:
    """A contact as labelled lines."""
    lines = [f"{safe(contact.display_name())}  ({short_id(contact.id)})"]

    def add(label: str, value: str) -> None:
        if value:
            lines.append(f"  {label:<12} {safe(value)}")

    add("given name", contact.given_name)
    add("family name", contact.family_name)
    add("organization", contact.org)
    add("role", contact.role)
    for email in contact.emails:
        add("email", email.value + (f" ({email.label})" if email.label else ""))
    for phone in contact.phones:
        mark = "" if phone.valid else " [unparsed]"
        add("phone", phone.value + mark + (f" ({phone.label})" if phone.label else ""))
    for address in contact.addresses:
        parts = (
            address.street,
            address.postal_code,
            address.locality,
            address.region,
            address.country,
        )
        text = ", ".join(p for p in parts if p)
        add("address", text + (f" ({address.label})" if address.label else ""))
    add("languages", ", ".join(contact.languages))
    add("tags", ", ".join(contact.tags))
    add("segments", ", ".join(contact.segments))
    for key, value in contact.fields:
        add(key, value)
    if contact.notes:
        lines.append("  notes")
        lines.extend(f"    {safe(line)}" for line in contact.notes.splitlines())
    lines.append(f"  {'created':<12} {when(contact.created)}")
    lines.append(f"  {'updated':<12} {when(contact.updated)}")
    return lines


def table(rows: Iterable[Sequence[str]], headers: Sequence[str]) -> list[str]:
    """A plain text table fitted to the terminal width (cells sanitized and cut)."""
    width = shutil.get_terminal_size((100, 24)).columns
    body = [[safe(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in body:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    budget = max(20, width - 2 * (len(headers) - 1))
    while sum(widths) > budget and max(widths) > 8:
        widths[widths.index(max(widths))] -= 1

    def fit(cell: str, w: int) -> str:
        return cell if len(cell) <= w else cell[: w - 1] + "\u2026"

    out = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    out += [
        "  ".join(fit(c, w).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in body
    ]
    return out
