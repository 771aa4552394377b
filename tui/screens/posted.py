"""Results from worker threads, delivered as messages to the screen that asked.

The rule and its reason: a worker thread hands its result back with `post_message(Posted(...))`,
not `app.call_from_thread(...)`. If the screen was closed meanwhile (Escape, a lock), a message
to it is dropped, while a call from the thread would run against a screen no longer mounted,
fail, and end the app with an internal error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.message import Message
from textual.worker import get_current_worker

from vault.errors import KithError

__all__ = ["Posted", "ReceivesPosted", "cancelled"]


def cancelled() -> bool:
    """In a worker thread: True if its screen was closed (Escape, a lock closing the vault).

    An error then is the vault closing under the worker, not a fault: the worker just ends.
    """
    return get_current_worker().is_cancelled


class Posted(Message, bubble=False):
    """Run `callback(*args)` on the UI thread, if the screen is still there."""

    def __init__(self, callback: Callable[..., object], *args: Any) -> None:
        self.callback = callback
        self.args = args
        super().__init__()


class ReceivesPosted:
    """Mixed into a screen: runs what its workers posted."""

    def on_posted(self, message: Posted) -> None:
        """Run the posted callback."""
        message.callback(*message.args)

    def post_result(self, compute: Callable[[], Any], done: Callable[..., object],
                    failed: Callable[[str], object]) -> None:
        """In a worker thread: post ``done(compute())``, or ``failed(message)`` when ``compute``
        raises a ``KithError``. Any other error after the screen was closed (the vault locked
        under the worker) ends the worker quietly; before that, it is a fault and is raised."""
        post = self.post_message  # type: ignore[attr-defined]  # mixed into a Screen
        try:
            result = compute()
        except KithError as error:
            post(Posted(failed, error.message))
            return
        except Exception:
            if cancelled():
                return
            raise
        post(Posted(done, result))
