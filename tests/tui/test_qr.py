"""The QR code drawn in half blocks is exactly segno's symbol: every module, both halves of
every character, the quiet zone, in dark-on-light colours."""

from __future__ import annotations

import segno

from tui.widgets.qr import BORDER, qr_text

TOP = {"▀", "█"}
BOTTOM = {"▄", "█"}


def modules(drawn: str) -> list[list[bool]]:
    rows: list[list[bool]] = []
    for line in drawn.split("\n"):
        rows.append([ch in TOP for ch in line])
        rows.append([ch in BOTTOM for ch in line])
    return rows


def test_the_drawing_is_the_symbol_module_for_module() -> None:
    for data in ("47869827825268778727287060759732270385449309670989477799124" + "0",
                 "KITH-" + "0123-" * 27 + "AB"):  # fmt: skip
        text = qr_text(data)
        symbol = [[bool(m) for m in row]
                  for row in segno.make(data, error="m").matrix_iter(border=BORDER)]  # fmt: skip
        drawn = modules(text.plain)
        assert drawn[: len(symbol)] == symbol
        assert not any(any(row) for row in drawn[len(symbol):])  # the padding row is light
        assert str(text.style) == "black on white"
        assert len({len(line) for line in text.plain.split("\n")}) == 1


def test_a_safety_number_fits_an_80_column_screen() -> None:
    text = qr_text("4" * 60)
    lines = text.plain.split("\n")
    assert len(lines) <= 15 and len(lines[0]) <= 29
