"""Command-palette entries of the screen in use: every key of a screen is also a command.

The rule: a screen that wants its actions in the palette (Ctrl+P) defines
`palette_commands()`, returning (title, help, callback) triples; the palette shows those of the
topmost Kith screen under it (the palette is itself a screen, so `app.screen` is not the one the
user was looking at). One place, so a key and its palette entry cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from textual.app import SystemCommand

from tui.screens.base import KithModal, KithScreen

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["HasCommands", "screen_commands"]

Command = tuple[str, str, Callable[[], object]]


@runtime_checkable
class HasCommands(Protocol):
    """A screen with palette entries."""

    def palette_commands(self) -> list[Command]:
        """(title, help, callback) for each entry."""
        ...


def screen_commands(app: KithHost) -> Iterator[SystemCommand]:
    """The entries of the topmost Kith screen (dialogs included) under the palette."""
    for screen in reversed(app.screen_stack):
        if isinstance(screen, KithScreen | KithModal):
            if isinstance(screen, HasCommands):
                for title, help_text, callback in screen.palette_commands():
                    yield SystemCommand(title, help_text, callback)
            return
