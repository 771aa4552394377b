"""What every Kith screen shares: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from textual.binding import Binding, BindingType
from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from tui.screens.host import KithHost

__all__ = ["KithModal", "KithScreen"]

R = TypeVar("R")


def show_keys(screen: Screen[Any]) -> None:
    """Open the keys panel for `screen` (`?` anywhere, or "Keys" in the palette)."""
    from tui.screens.keys import KeysScreen

    screen.app.push_screen(KeysScreen(screen))


class KithScreen(Screen[R]):
    """A full screen of the Kith app; `?` lists its keys."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "keys", "Keys", show=False),
    ]

    def action_keys(self) -> None:
        """Show every key of this screen."""
        show_keys(self)

    @property
    def kith(self) -> KithHost:
        """The app, typed."""
        return cast("KithHost", self.app)


class KithModal(ModalScreen[R]):
    """A dialog over another Kith screen."""

    @property
    def kith(self) -> KithHost:
        """The app, typed."""
        return cast("KithHost", self.app)
