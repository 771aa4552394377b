"""What an import is asked to do, and what it reports (``kith import`` and ``--json``).

    ImportOptions -> import_contacts -> ImportReport(added, merged, unchanged, skipped, errors, ...)

Every item of the report names the file lines it comes from, never a value from the file: the
report is printed, and may be pasted into a bug report.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

_REPORT_LISTS = ("added", "merged", "unchanged", "skipped", "errors", "warnings")


class BatchTally(Protocol):
    """What a report takes from a batch of read rows (``import_rows.Batch`` is one)."""

    records: int
    skipped: list[Issue]
    errors: list[Issue]
    warnings: list[Issue]


@dataclass(frozen=True)
class ImportOptions:
    """What ``kith import`` asks for; ``region`` empty means the vault's default."""

    fmt: str | None = None
    preset: str | None = None
    column_map: Mapping[str, str] | None = None
    region: str = ""
    tags: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass(frozen=True)
class Issue:
    """One line's problem: ``reason`` is a short word, ``message`` the sentence a user reads."""

    line: int
    reason: str
    message: str
    matches: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The report shape."""
        out: dict[str, Any] = {"line": self.line, "reason": self.reason, "message": self.message}
        if self.matches:
            out["matches"] = list(self.matches)
        return out


@dataclass
class Item:
    """One resulting contact and the lines that made it (``id`` is empty in a dry run)."""

    id: str
    lines: list[int]

    def to_json(self) -> dict[str, Any]:
        """The report shape."""
        return {"id": self.id or None, "lines": self.lines}


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do)."""

    fmt: str
    dry_run: bool
    rows: int = 0
    added: list[Item] = field(default_factory=list)
    merged: list[Item] = field(default_factory=list)
    unchanged: list[Item] = field(default_factory=list)
    skipped: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    preferences: int = 0

    def counts(self) -> dict[str, int]:
        """How many of each."""
        return {
            "rows": self.rows, "added": len(self.added), "merged": len(self.merged),
            "unchanged": len(self.unchanged), "skipped": len(self.skipped),
            "errors": len(self.errors), "warnings": len(self.warnings),
            "preferences": self.preferences,
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The ``kith import --json`` report."""
        return {
            "dry_run": self.dry_run,
            "format": self.fmt,
            "counts": self.counts(),
            **{k: [i.to_json() for i in getattr(self, k)] for k in _REPORT_LISTS},
        }

    def take(self, batch: BatchTally) -> None:
        """Count a batch's records and keep its issues."""
        self.rows += batch.records
        self.skipped += batch.skipped
        self.errors += batch.errors
        self.warnings += batch.warnings


__all__ = ["ImportOptions", "ImportReport", "Issue", "Item"]
