"""Column layout for the contact list: four columns that share the width and never overflow.

The rule: a line is exactly as many terminal cells wide as the widget, whatever the user typed.
Each cell is sanitized by `tui.safe_text.safe`, then padded or cut with an ellipsis by *cells*
(not characters), so wide CJK or emoji text cannot push the next column out of line and a
megabyte-long field costs no more than a short one.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from rich.cells import cell_len, set_cell_size

from tui.safe_text import ELLIPSIS, safe

__all__ = ["HEADERS", "column_widths", "fit_cell", "line_cells", "line_text"]

HEADERS: tuple[str, ...] = ("Name", "Organization", "City", "Tags")
WEIGHTS: tuple[int, ...] = (32, 26, 18, 24)
"""Percent of the text width each column gets; the last column takes the rounding remainder.

At 80 columns (78 beside the scrollbar) this gives 22 | 18 | 12 | 18 cells of text."""
PAD = 1
"""Blank cells on each side of every column, so neighbouring columns never touch."""


@lru_cache(maxsize=32)
def column_widths(width: int) -> tuple[int, ...]:
    """Split `width` cells into the text widths of the columns (padding excluded).

    Args:
        width: The widget's content width in cells.

    Returns:
        One width per column; with the padding they add up to `width` when `width` allows.
    """
    inner = max(0, width - 2 * PAD * len(WEIGHTS))
    widths = [inner * weight // 100 for weight in WEIGHTS]
    widths[-1] += inner - sum(widths)
    return tuple(widths)


def line_cells(width: int) -> int:
    """The cell width of every `line_text` for `column_widths(width)`.

    Equal to `width` unless `width` is too narrow for even the padding.
    """
    return max(width, 2 * PAD * len(WEIGHTS))


def fit_cell(text: str, width: int) -> str:
    """Sanitize `text` and make it exactly `width` cells: padded, or cut with an ellipsis.

    Args:
        text: Raw user-supplied text.
        width: Cells available.

    Returns:
        Safe text exactly `width` cells wide.
    """
    if width <= 0:
        return ""
    # Visible characters take at least one cell, so width+1 of them overfill the cell. The
    # slack is for zero-width characters (combining marks, ZWJ); text denser in them than that
    # is cut, with an ellipsis, which is honest. The bound keeps huge fields cheap.
    clean = safe(text, max_len=width * 4 + 8)
    length = cell_len(clean)
    if length <= width:
        return clean + " " * (width - length)
    # set_cell_size pads with a space where a wide character would straddle the edge.
    return set_cell_size(clean, width - 1) + ELLIPSIS


def line_text(cells: Sequence[str], widths: Sequence[int]) -> str:
    """Join raw cell texts into one line of padded, fitted columns.

    Args:
        cells: Raw user-supplied text, one per column.
        widths: Text widths from `column_widths`.

    Returns:
        The safe line text.
    """
    pad = " " * PAD
    return "".join(
        pad + fit_cell(text, width) + pad for text, width in zip(cells, widths, strict=True)
    )
