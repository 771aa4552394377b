"""The import dialog's report, without Textual: line order, reasons, the cap, lazy names."""

from __future__ import annotations

from tui.screens.import_view import REPORT_LINES, report_lines, summary
from vault.interchange.import_report import ImportReport, Issue, Item

ADA = "41bf082d6e8c" + "0" * 20


def test_every_line_in_order_with_its_reason_and_names_only_for_lines_shown() -> None:
    report = ImportReport("csv", dry_run=True, rows=5)
    report.added.append(Item("", [2, 5]))
    report.merged.append(Item(ADA, [4]))
    report.errors.append(Issue(3, "invalid", "a contact needs a name, an email or a phone"))
    report.warnings.append(Issue(2, "invalid email", "email 2 is not a valid address"))
    asked: list[str] = []

    def name_of(full_id: str) -> str:
        asked.append(full_id)
        return "[bold]Ada\x1b]0;x\x07"

    lines = report_lines(report, name_of)
    assert lines == [
        "line 2: new contact (also lines 5)",
        "line 2: warning: email 2 is not a valid address",
        "line 3: refused: a contact needs a name, an email or a phone",
        "line 4: would be merged into [bold]Ada]0;x (41bf082d6e8c): same email, phone, or "
        "name and address",
    ]
    assert asked == [ADA]
    assert summary(report).startswith("Dry run: would create 1, merge 1")


def test_a_large_report_is_capped_and_asks_for_at_most_the_names_shown() -> None:
    report = ImportReport("csv", dry_run=False, rows=100_000)
    report.unchanged += [Item(f"{n:032x}", [n + 2]) for n in range(100_000)]
    asked: list[str] = []
    lines = report_lines(report, lambda full_id: asked.append(full_id) or "Someone")
    assert len(lines) == REPORT_LINES + 1 and len(asked) == REPORT_LINES
    assert lines[-1].startswith("... and 99,900 more")
    assert lines[0] == "line 2: already in the vault as Someone (000000000000): unchanged"
