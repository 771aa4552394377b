"""The tag side panel: "All contacts" and every tag with its count; choose one to filter by it.

Tags are user text: each prompt is a `rich.text.Text` built from `tui.widgets.columns.fit_cell`
(sanitized, cut by cells with an ellipsis), never markup. Options have no ids (a tag can be any
text); the panel maps option positions to tags itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.message import Message
from textual.widgets import OptionList

from tui.widgets.columns import fit_cell

__all__ = ["TagPanel"]

ALL = "All contacts"


class TagPanel(OptionList):
    """A list of tags with counts; posts `TagPanel.TagChosen` (None for all contacts)."""

    DEFAULT_CSS = """
    TagPanel {
        width: 22;
        height: 1fr;
        border: none;
        border-right: vkey $panel;
        padding: 0;
        background: $surface;
        &:nocolor > .option-list--option-highlighted { text-style: reverse; }
    }
    """

    LABEL_CELLS: ClassVar[int] = 13
    """Cells for the tag's name; its count is right-aligned after it."""

    class TagChosen(Message):
        """The user chose a tag (None: all contacts)."""

        def __init__(self, tag: str | None) -> None:
            self.tag = tag
            super().__init__()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._tags: list[str | None] = [None]
        self.chosen: str | None = None

    def show(self, tags: Sequence[tuple[str, int]], total: int) -> None:
        """Replace the options with `tags` (name, count), keeping the chosen tag highlighted."""
        self._tags = [None, *(name for name, _ in tags)]
        prompts = [self._prompt(ALL, total, bold=True)]
        prompts += [self._prompt(name, count) for name, count in tags]
        self.set_options(prompts)
        try:
            self.highlighted = self._tags.index(self.chosen)
        except ValueError:
            self.highlighted = 0

    def _prompt(self, label: str, count: int, *, bold: bool = False) -> Text:
        text = Text(fit_cell(label, self.LABEL_CELLS), style="bold" if bold else "", end="")
        text.append(f"{count:>7,}", style="dim")
        return text

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        """Turn the chosen option into a `TagChosen`."""
        event.stop()
        index = event.option_index
        self.chosen = self._tags[index] if 0 <= index < len(self._tags) else None
        self.post_message(self.TagChosen(self.chosen))
