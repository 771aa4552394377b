"""What every Kith screen shares: typed access to the app."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar, cast

from textual.screen import ModalScreen, Screen

if TYPE_CHECKING:
    from tui.app import KithApp

__all__ = ["KithModal", "KithScreen"]

R = TypeVar("R")


class KithScreen(Screen[R]):
    """A full screen of the Kith app."""

    @property
    def kith(self) -> KithApp:
        """The app, typed."""
        return cast("KithApp", self.app)


class KithModal(ModalScreen[R]):
    """A dialog over another Kith screen."""

    @property
    def kith(self) -> KithApp:
        """The app, typed."""
        return cast("KithApp", self.app)
