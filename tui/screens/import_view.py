"""What the import dialog draws, with no Textual in it: the column-map choices, the preview of
the first rows as they will be imported, and the report of a (dry) run.

Rules and reasons:
- Every value from the file reaches the screen through `safe` (cut to a bounded length): a
  sheet is untrusted text, like a contact.
- The preview shows rows after the column map and normalization (`import_rows.first_rows`):
  phones in E.164 (or "as typed" when they do not parse), labels and tags as stored, and the
  rows an import would refuse, with the importer's reason. What you see is what is written.
- The report says, line by line, what would be (or was) created, merged into which contact,
  left unchanged, skipped and refused, in the importer's words; at most `REPORT_LINES` lines,
  then a count (`kith import --dry-run --json` lists everything).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Group
from rich.table import Table
from rich.text import Text

from tui.output import short_id
from tui.phone_display import readable_phone
from tui.safe_text import safe
from vault.interchange.import_report import ImportReport, Issue, Item
from vault.interchange.import_rows import Batch
from vault.interchange.sheet import custom_field

__all__ = ["CUSTOM", "FIELD_CHOICES", "REPORT_LINES", "choices_for", "preview_table",
           "report_lines", "summary"]  # fmt: skip

REPORT_LINES = 100
CUSTOM = "custom"
"""The choice that keeps a column as a custom field named after it."""
FIELD_CHOICES: tuple[tuple[str, str], ...] = (
    ("ignore", "skip"), ("name (full)", "name"), ("given name", "given_name"),
    ("middle name", "middle_name"), ("family name", "family_name"), ("email", "email"),
    ("email, home", "email:home"), ("email, work", "email:work"), ("phone", "phone"),
    ("phone, mobile", "phone:mobile"), ("phone, home", "phone:home"),
    ("phone, work", "phone:work"), ("organization", "org"), ("role", "role"),
    ("street", "street"), ("city", "locality"), ("region", "region"),
    ("postal code", "postal_code"), ("country", "country"), ("notes", "notes"),
    ("tags (several per cell)", "tags"), ("languages", "languages"),
    ("custom field, named after the column", CUSTOM),
)  # fmt: skip
"""(label, column-map target) offered for each column; labels are `kith add`'s words."""


def choices_for(column: str, index: int) -> list[tuple[str, str]]:
    """The choices for one column; the custom field is keyed by the column's own name."""
    return [(label, custom_field(column, index) if value == CUSTOM else value)
            for label, value in FIELD_CHOICES]  # fmt: skip


def _cell(text: str, width: int = 40) -> Text:
    return Text(safe(text, max_len=width), no_wrap=True, overflow="ellipsis")


def _phone(value: str) -> str:
    return readable_phone(value) if value.startswith("+") else f"{value} (as typed)"


def preview_table(batch: Batch) -> Group:
    """The first rows as they will be imported, one line each; then each refused or skipped
    row's reason, and each warning, in full (a reason does not fit in a cell)."""
    table = Table(expand=True, box=None, padding=(0, 1), show_edge=False)
    table.add_column("line", no_wrap=True, width=5)
    table.add_column("name", ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column("email", ratio=3, no_wrap=True, overflow="ellipsis")
    table.add_column("phone", width=17, no_wrap=True, overflow="ellipsis")
    table.add_column("more", ratio=2, no_wrap=True, overflow="ellipsis")
    kept = {row.line: row for row in batch.rows}
    notes: list[tuple[int, str]] = [(i.line, f"skipped: {i.message}") for i in batch.skipped]
    notes += [(i.line, f"refused: {i.message}") for i in batch.errors]
    notes += [(i.line, f"warning: {i.message}") for i in batch.warnings]
    left_out = {line for line, text in notes if not text.startswith("warning")}
    for line in sorted(kept.keys() | left_out):
        if line not in kept:
            table.add_row(str(line), Text("(see below)", style="bold"))
            continue
        draft = kept[line].draft
        more = [draft.org, ", ".join(draft.tags)]
        more += [a.locality or a.street for a in draft.addresses[:1]]
        more += [f"{k}={v}" for k, v in draft.fields[:2]]
        if kept[line].denies:
            more.append("denies " + ", ".join(sorted(kept[line].denies)))
        table.add_row(
            str(line),
            _cell(draft.composed_name()),
            _cell(", ".join(e.value for e in draft.emails)),
            _cell(", ".join(_phone(p.value) for p in draft.phones)),
            _cell("; ".join(m for m in more if m)),
        )
    lines = [Text(f"line {line}: {text}", style="bold") for line, text in sorted(notes)]
    return Group(table, *lines)


def summary(report: ImportReport) -> str:
    """The counts, in the words of a dry run or of a real import."""
    c = report.counts()
    if report.dry_run:
        return (
            f"Dry run: would create {c['added']}, merge {c['merged']} into existing contacts, "
            f"leave {c['unchanged']} unchanged; would skip {c['skipped']} and refuse "
            f"{c['errors']} ({c['rows']} record(s) read). Nothing was changed."
        )
    return (f"Imported: created {c['added']}, merged {c['merged']}, unchanged "
            f"{c['unchanged']}; skipped {c['skipped']}, refused {c['errors']} ({c['rows']} "
            "record(s) read).")  # fmt: skip


def report_lines(report: ImportReport, name_of: Callable[[str], str]) -> list[str]:
    """What happens to each line of the file, in line order, at most `REPORT_LINES`.

    `name_of(full_id)` gives an existing contact's name (read from the vault, shown safely);
    it is asked only for the lines shown, so a re-import of 100,000 rows decrypts 100 names.
    """
    verb = "would be" if report.dry_run else "was"
    found: list[tuple[int, str, Item | Issue]] = [
        *((i.lines[0], "added", i) for i in report.added),
        *((i.lines[0], "merged", i) for i in report.merged),
        *((i.lines[0], "unchanged", i) for i in report.unchanged),
        *((i.line, "skipped", i) for i in report.skipped),
        *((i.line, "refused", i) for i in report.errors),
        *((i.line, "warning", i) for i in report.warnings),
    ]
    found.sort(key=lambda entry: entry[0])
    lines = []
    for line, what, entry in found[:REPORT_LINES]:
        if isinstance(entry, Issue):
            lines.append(f"line {line}: {what}: {entry.message}")
            continue
        if what == "added":
            also = f" (also lines {_lines(entry.lines[1:])})" if entry.lines[1:] else ""
            lines.append(f"line {line}: new contact{also}")
            continue
        who = f"{safe(name_of(entry.id), max_len=40)} ({short_id(entry.id)})"
        if what == "merged":
            lines.append(f"line {line}: {verb} merged into {who}: same email, phone, or name "
                         "and address")  # fmt: skip
        else:
            lines.append(f"line {line}: already in the vault as {who}: unchanged")
    if len(found) > REPORT_LINES:
        lines.append(f"... and {len(found) - REPORT_LINES:,} more "
                     "(`kith import FILE --dry-run --json` lists every line).")  # fmt: skip
    return lines


def _lines(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:5])
    return shown + (", ..." if len(numbers) > 5 else "")
