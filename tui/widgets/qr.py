"""A QR code as terminal text: the same `segno` code the CLI prints (`kith id show`), drawn with
half blocks so that one text row holds two rows of modules.

Rules and reasons:
- Dark modules are drawn black on white, with a quiet zone of two modules, so a phone can scan
  it on a dark terminal too; with NO_COLOR the blocks alone still make an (inverted) code,
  which most scanners read.
- Error correction M, as the CLI's recovery-key QR: a 60-digit safety number fits a 29 x 29
  symbol with the border, 15 text rows.
"""

from __future__ import annotations

from rich.text import Text

__all__ = ["qr_text"]

BORDER = 2
_BLOCKS = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_text(data: str) -> Text:
    """`data` as a QR code, in half-block characters."""
    import segno  # imported when a code is shown: it is not needed to start the app

    code = segno.make(data, error="m")
    rows = [[bool(m) for m in row] for row in code.matrix_iter(border=BORDER)]
    if len(rows) % 2:
        rows.append([False] * len(rows[0]))
    text = Text(style="black on white", no_wrap=True, end="")
    lines = ["".join(_BLOCKS[(a, b)] for a, b in zip(top, bottom, strict=True))
             for top, bottom in zip(rows[::2], rows[1::2], strict=True)]  # fmt: skip
    text.append("\n".join(lines))
    return text
