"""The filter box above the contact list: type to narrow the list, Escape to clear it.

The rule: the box reports what to search for, and nothing else. It posts `QueryChanged` once
typing pauses (a short debounce), never once per keystroke, so a fast typist at 100,000 contacts
does not queue a search per character; clearing with Escape is reported at once. Matching is the
search index's business (DESIGN §5: an in-memory index in `vault`), and showing the result is
`ContactList.set_rows`.

The query is sanitized by `tui.safe_text.safe` and its whitespace collapsed, and the box refuses
control characters, so a pasted string cannot carry escape sequences into the screen or the
search.
"""

from __future__ import annotations

from typing import ClassVar

from textual import events
from textual.actions import SkipAction
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input

from tui.safe_text import safe

__all__ = ["ContactFilter", "normalize_query"]

_NO_CONTROLS = r"[^\x00-\x1f\x7f-\x9f]*"
"""`Input.restrict` pattern: the whole value must be free of C0, DEL and C1 controls."""


def normalize_query(text: str) -> str:
    """Sanitize a query and collapse its whitespace, so "ada " and " ada" search alike.

    Args:
        text: What the user typed or pasted.

    Returns:
        The query to search for; empty means "show everything".
    """
    return " ".join(safe(text).split())


class ContactFilter(Input):
    """An `Input` that posts a debounced, sanitized `QueryChanged`."""

    DEBOUNCE_SECONDS: ClassVar[float] = 0.08
    """Quiet time after the last keystroke before the query is reported."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]

    class QueryChanged(Message):
        """The query to filter by changed; an empty `query` means no filter."""

        def __init__(self, contact_filter: ContactFilter, query: str) -> None:
            self.contact_filter = contact_filter
            self.query = query
            super().__init__()

        @property
        def control(self) -> ContactFilter:
            """The filter box that posted this message."""
            return self.contact_filter

    def __init__(
        self,
        *,
        placeholder: str = "Filter contacts",
        debounce: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Create the filter box.

        Args:
            placeholder: Shown while the box is empty.
            debounce: Seconds of quiet before reporting; `DEBOUNCE_SECONDS` if None.
            name: Textual widget name.
            id: Textual widget id.
            classes: Textual CSS classes.
            disabled: Start disabled.
        """
        super().__init__(
            placeholder=placeholder,
            restrict=_NO_CONTROLS,
            max_length=200,
            select_on_focus=False,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self._debounce = self.DEBOUNCE_SECONDS if debounce is None else debounce
        self._timer: Timer | None = None
        self._reported = ""

    @property
    def current_query(self) -> str:
        """The normalized query for the current value (reported or not yet).

        Not named `query`: that would shadow Textual's `DOMNode.query()`.
        """
        return normalize_query(self.value)

    def on_input_changed(self, event: Input.Changed) -> None:
        """Restart the debounce timer on every change of our own value."""
        if event.input is not self:
            return
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(self._debounce, self._report)

    def _on_paste(self, event: events.Paste) -> None:
        """Insert pasted text sanitized, rather than refusing it for one stray control."""
        event.prevent_default()  # skip Input's own paste handler
        event.stop()
        text = normalize_query(event.text)
        if text:
            self.insert_text_at_cursor(text)

    def action_clear_filter(self) -> None:
        """Clear the box and report it at once; with the box already empty, let Escape pass."""
        if not self.value:
            raise SkipAction()
        self.value = ""
        self._report()

    def _report(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        query = self.current_query
        if query != self._reported:
            self._reported = query
            self.post_message(self.QueryChanged(self, query))
