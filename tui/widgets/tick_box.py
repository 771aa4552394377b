"""A check box that reads the same with or without colour: `[x]` ticked, `[ ]` not.

Textual's `Checkbox` draws `▐X▌` in both states and shows the state only by colour, so on a
monochrome terminal, with NO_COLOR, or to a colour-blind user a ticked "NOT encrypted" box
looks like an unticked one. This one draws the state as a character.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Checkbox

__all__ = ["TickBox"]


class TickBox(Checkbox):
    """A `Checkbox` drawn `[x]` when ticked and `[ ]` when not."""

    DEFAULT_CSS = """
    TickBox > .toggle--button { background: transparent; color: $text; text-style: bold; }
    TickBox.-on > .toggle--button { background: transparent; color: $text-success; }
    """

    @property
    def _button(self) -> Content:
        """The state as text, styled by the usual component class."""
        style = self.get_visual_style("toggle--button")
        return Content.styled("[x]" if self.value else "[ ]", style)
