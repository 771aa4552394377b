"""Mail merge for paper: letters and address labels as PDF (fpdf2).

Rules and reasons:
- A PDF of names and addresses is a plaintext export: it is written only with explicit
  consent (the CLI's ``--yes-plaintext``), to a new file (``O_EXCL | O_NOFOLLOW``, never
  overwritten, never through a symlink), mode 0600, and the CLI tells how to destroy it.
  The bytes are built in memory; nothing else is written (no font cache, no temp file).
- The audience honours consent exactly as email and SMS do, on the ``post`` channel: a letter
  is outreach too (``outreach/audience.py``), and a contact needs a postal address.
- Label sheets are defined by their published geometry (mm); adding one is adding a row.
- Text is set in DejaVu Sans when the system has it, so names in any script print; otherwise
  in the PDF core font, which only covers Latin-1 (other characters print as ``?``: said in
  docs/outreach.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from vault.core.files import write_new
from vault.errors import ExportExists, InvalidInput, KithError

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/Library/Fonts/DejaVuSans.ttf",
)


@dataclass(frozen=True)
class Sheet:
    """A label sheet: page size and label grid, in millimetres."""

    page: str
    cols: int
    rows: int
    width: float
    height: float
    top: float
    left: float
    h_pitch: float
    v_pitch: float


SHEETS = {
    "L7160": Sheet("A4", 3, 7, 63.5, 38.1, 15.15, 7.25, 66.04, 38.1),
    "L7163": Sheet("A4", 2, 7, 99.1, 38.1, 15.15, 4.65, 101.6, 38.1),
    "5160": Sheet("Letter", 3, 10, 66.675, 25.4, 12.7, 4.7625, 69.85, 25.4),
}


def check_sheet(name: str) -> Sheet:
    """A known sheet (``L7160``, ``L7163``, ``5160``)."""
    sheet = SHEETS.get(name.strip().upper())
    if sheet is None:
        raise InvalidInput("(label sheets: " + ", ".join(SHEETS) + ")")
    return sheet


class _Pdf:
    """An FPDF document with the best available font."""

    def __init__(self, page: str) -> None:
        # Imported here: fpdf and fontTools take ~0.5 s to import, which every `kith` command
        # paid at start-up (issue 12 §3, `kith delete` at 100,000 contacts).
        from fpdf import FPDF

        self.pdf = FPDF(unit="mm", format=page)
        self.pdf.set_auto_page_break(auto=False)
        self.pdf.set_margins(0, 0, 0)
        font = next((f for f in FONT_CANDIDATES if Path(f).is_file()), None)
        self.unicode = font is not None
        if font is not None:
            self.pdf.add_font("kith", "", font)
            self.pdf.set_font("kith", size=10)
        else:
            self.pdf.set_font("helvetica", size=10)

    def text(self, value: str) -> str:
        """``value`` as the current font can print it."""
        return value if self.unicode else value.encode("latin-1", "replace").decode("latin-1")

    def output(self) -> bytes:
        """The finished PDF."""
        return bytes(self.pdf.output())


def labels_pdf(blocks: list[str], sheet: Sheet) -> bytes:
    """One label per address block (lines separated by newlines), filling sheets in order."""
    doc = _Pdf(sheet.page)
    per_page = sheet.cols * sheet.rows
    pad = 3.0
    for i, block in enumerate(blocks):
        if i % per_page == 0:
            doc.pdf.add_page()
        slot = i % per_page
        x = sheet.left + (slot % sheet.cols) * sheet.h_pitch
        y = sheet.top + (slot // sheet.cols) * sheet.v_pitch
        lines = block.splitlines()[:6]
        size = 10 if len(lines) <= 4 else 8
        doc.pdf.set_font_size(size)
        line_h = size * 0.45
        start = y + (sheet.height - line_h * len(lines)) / 2
        for n, line in enumerate(lines):
            doc.pdf.set_xy(x + pad, start + n * line_h)
            doc.pdf.cell(sheet.width - 2 * pad, line_h, doc.text(line))
    if not blocks:
        doc.pdf.add_page()
    return doc.output()


def letters_pdf(letters: list[tuple[str, str, str]]) -> bytes:
    """One A4 page (or more) per (address block, date line, body) letter."""
    doc = _Pdf("A4")
    doc.pdf.set_auto_page_break(auto=True, margin=20)
    doc.pdf.set_margins(25, 20, 20)
    for block, dated, body in letters:
        doc.pdf.add_page()
        doc.pdf.set_font_size(11)
        doc.pdf.set_xy(25, 45)
        doc.pdf.multi_cell(90, 5, doc.text(block), align="L")
        doc.pdf.set_xy(25, 85)
        doc.pdf.cell(0, 5, doc.text(dated))
        doc.pdf.set_xy(25, 100)
        doc.pdf.multi_cell(0, 5.5, doc.text(body), align="L")
    if not letters:
        doc.pdf.add_page()
    return doc.output()


def write_new_file(path: Path, data: bytes) -> None:
    """Write ``data`` to the new file ``path``, mode 0600 (never overwrite, never follow)."""
    try:
        write_new(path, data)
    except FileExistsError:
        raise ExportExists from None
    except OSError as error:
        raise KithError(f"(cannot create the file: {error.strerror or 'error'})") from None
