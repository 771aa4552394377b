"""Test doubles for the TUI tests: invented contacts, a row source that counts reads, a tiny app.

All names, organizations and places are invented or generic.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from typing import overload

from textual.app import App, ComposeResult
from textual.message import Message

from tui.widgets.contact_list import ContactList, ContactRow

# fmt: off
FIRST = ("Ada", "Bram", "Chiara", "Dmitri", "Efua", "Farid", "Greta", "Hiroshi", "Ines", "Jonas",
         "Kemal", "Lucía", "Mbali", "Noor", "Oskar", "Priya", "Quinn", "Rosa", "Sven", "Tariq")
LAST = ("Abara", "Brandt", "Castell", "Dumont", "Eze", "Fontaine", "Gallo", "Holm", "Ibarra",
        "Jovanović", "Kask", "Lind", "Moreau", "Nakamura", "Okafor", "Petrov", "Rahimi", "Silva")
ORGS = ("Tenants United", "Riverside Food Co-op", "Night Shift Union", "Bike Kitchen",
        "Harbour Mutual Aid", "Library Friends", "", "Allotment Society")
# fmt: on
CITIES = ("Lisbon", "Leeds", "Tallinn", "Bologna", "Accra", "Osaka", "Valparaíso", "")
TAGS = ("volunteer", "board", "press", "legal", "driver", "translator", "donor")


def make_rows(count: int, seed: int = 7) -> list[ContactRow]:
    """Invent `count` contacts, the same ones for the same seed."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        tags = tuple(sorted(rng.sample(TAGS, rng.randint(0, 3))))
        rows.append(
            ContactRow(
                f"c{i:06d}", name, rng.choice(ORGS), rng.choice(CITIES), tags, 1_700_000_000 + i
            )
        )
    return rows


class CountingRows(Sequence[ContactRow]):
    """A row sequence that records which indices the widget reads."""

    def __init__(self, rows: Sequence[ContactRow]) -> None:
        self.rows = rows
        self.read: set[int] = set()

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> ContactRow: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[ContactRow]: ...
    def __getitem__(self, index: int | slice) -> ContactRow | Sequence[ContactRow]:
        if isinstance(index, slice):
            raise AssertionError("the widget must not slice the row source")
        self.read.add(index if index >= 0 else index + len(self.rows))
        return self.rows[index]

    def __iter__(self) -> Iterator[ContactRow]:
        raise AssertionError("the widget must not iterate the row source")


class ListApp(App[None]):
    """The smallest app that shows a `ContactList` and records what it posts."""

    def __init__(self, rows: Sequence[ContactRow]) -> None:
        super().__init__()
        self.rows = rows
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield ContactList(self.rows)

    def on_contact_list_highlighted(self, message: ContactList.Highlighted) -> None:
        self.messages.append(message)

    def on_contact_list_selected(self, message: ContactList.Selected) -> None:
        self.messages.append(message)
