"""What screens need of the app that hosts them, as a protocol.

Screens reach the app through ``KithScreen.kith``. Typing that against ``tui.app.KithApp`` made
the app and its screens one import circle (the app imports every screen); this protocol names the
few members screens use, and ``KithApp`` satisfies it (issue 15: no circles, type-only included).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from vault import KdfParams, Vault

__all__ = ["KithHost"]


class KithHost(Protocol):
    """The Kith app as its screens and dialogs see it."""

    vault_dir: Path
    vault: Vault | None
    kdf_params: KdfParams | None
    allow_weak: bool

    @property
    def is_unlocked(self) -> bool:
        """True while a vault is open."""
        ...

    def unlocked(self, vault: Vault) -> None:
        """Show the contact list of a vault just opened or created."""

    def lock(self, *, reason: str = "") -> None:
        """Close the vault and return to the unlock screen."""

    def close_vault(self) -> None:
        """Close the vault without showing anything."""

    def burned(self) -> None:
        """The vault is gone: show the create screen."""

    def after_dialog(self, changed: bool | None) -> None:
        """Refresh what a dialog may have changed."""

    def push_screen(self, screen: Any, callback: Callable[[Any], None] | None = None) -> Any:
        """Textual's ``App.push_screen``."""
        ...

    def notify(self, message: str, **kwargs: Any) -> None:
        """Textual's ``App.notify``."""

    def call_from_thread(self, callback: Callable[..., Any], *args: Any) -> Any:
        """Textual's ``App.call_from_thread``."""
        ...

    def quit(self) -> None:
        """Leave the app."""
