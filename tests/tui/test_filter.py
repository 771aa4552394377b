"""ContactFilter: reports a sanitized query once typing pauses; Escape clears at once.

No assertion depends on how fast the machine is: the tests wait well past the debounce and only
check what was reported last, never how many intermediate reports a slow run produced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.binding import BindingType
from textual.pilot import Pilot

from tui.widgets.filter import ContactFilter, normalize_query

SETTLE = 0.3  # seconds: several debounce periods


class FilterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [("escape", "note_escape")]

    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.escapes = 0

    def compose(self) -> ComposeResult:
        yield ContactFilter(debounce=0.02)

    def on_contact_filter_query_changed(self, message: ContactFilter.QueryChanged) -> None:
        self.queries.append(message.query)

    def action_note_escape(self) -> None:
        self.escapes += 1


def drive(script: Callable[[Pilot[None], FilterApp, ContactFilter], Awaitable[None]]) -> None:
    async def main() -> None:
        app = FilterApp()
        async with app.run_test(size=(60, 5)) as pilot:
            box = app.query_one(ContactFilter)
            box.focus()
            await pilot.pause()
            await script(pilot, app, box)

    asyncio.run(main())


def test_typing_reports_the_final_query() -> None:
    async def script(pilot: Pilot[None], app: FilterApp, box: ContactFilter) -> None:
        await pilot.press(*"ada l")
        await pilot.pause(SETTLE)
        assert app.queries[-1] == "ada l"
        assert len(app.queries) <= len("ada l")  # at most one per keystroke, usually one
        assert app.queries == sorted(set(app.queries), key=app.queries.index)  # no repeats

    drive(script)


def test_escape_clears_and_reports_then_passes_through() -> None:
    async def script(pilot: Pilot[None], app: FilterApp, box: ContactFilter) -> None:
        await pilot.press(*"press")
        await pilot.pause(SETTLE)
        await pilot.press("escape")
        assert app.escapes == 0  # handled by the box
        assert box.value == ""
        assert app.queries[-1] == ""
        await pilot.pause(SETTLE)
        assert app.queries.count("") == 1  # the debounce does not report it twice
        before = app.escapes
        await pilot.press("escape")  # nothing to clear: the key goes on to the app
        await pilot.pause()
        assert app.escapes == before + 1

    drive(script)


def test_paste_is_sanitized() -> None:
    async def script(pilot: Pilot[None], app: FilterApp, box: ContactFilter) -> None:
        box.post_message(events.Paste("\x1b]0;owned\x07 ada\u202e\nx"))
        await pilot.pause(SETTLE)
        assert box.value == "]0;owned ada x"
        assert app.queries[-1] == "]0;owned ada x"

    drive(script)


def test_normalize_query() -> None:
    assert normalize_query("  ada   lovelace ") == "ada lovelace"
    assert normalize_query("[b]x\x1b[31m") == "[b]x[31m"
    assert normalize_query("\t\n") == ""
