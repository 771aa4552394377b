"""Import, export, duplicates and merge (issue 3).

    kith import FILE [--format vcard|csv|json] [--preset google|outlook|civicrm|generic]
                     [--map COLUMN=FIELD]... [--region CC] [--tag T]... [--dry-run] [--json]
    kith export --format vcard|csv|json --out FILE [--tag T]... [--yes-plaintext] [--json]
    kith duplicates [--json]
    kith merge ID ID... [--into ID] [--json]

Output: the import report and export summary go to stdout (``--json``: one object); progress
bars, the advice to destroy a plaintext file, and errors go to stderr. A file that cannot be
imported exits 5 with one line naming the line and the reason, and changes nothing.
"""

from __future__ import annotations

import re
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import click

from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, PlaintextConsentRequired
from tui.output import emit_json, short_id
from tui.safe_text import safe
from vault import ids
from vault.domain.validate import check_region
from vault.errors import ExportExists, ImportFailed, NothingToMerge
from vault.interchange import FORMATS, PRESETS, exporter
from vault.interchange.contact_merge import merge_contacts
from vault.interchange.duplicates import find_duplicates
from vault.interchange.importer import ImportOptions, ImportReport, import_contacts

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
MAX_IMPORT_BYTES = 512 * 1024 * 1024
_PHASES = {"importing": "Importing", "finishing": "Finishing"}
PROGRESS_BYTES = 256 * 1024  # smaller files import in well under a second
MAX_ISSUE_LINES = 100  # a person reads the first ones; --json has them all


def destroy_advice(path: Path) -> str:
    """What to tell someone who just imported (or exported) a plaintext contact file."""
    shown = safe(str(path))
    return (
        f"kith: {shown} is plaintext: once you have checked it, destroy it and every copy.\n"
        f"  On Linux: shred -u {shlex.quote(shown)}  (overwrites, then deletes).\n"
        "  On SSDs, USB sticks, phones and copy-on-write or journaling file systems an overwrite\n"
        "  may not reach the old blocks: only full-disk encryption protects those, keep it on.\n"
        "  Also delete the copies: Downloads, email attachments (sent and received), cloud\n"
        "  drives and sync folders, and empty the trash."
    )


class _Progress:
    """One progress bar on stderr per phase, only on a terminal and only for long work."""

    def __init__(self) -> None:
        self.bar: Any = None
        self.phase = ""
        self.done = 0

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            self.close()
            self.phase, self.done = phase, 0
            self.bar = click.progressbar(
                length=max(total, 1), label=_PHASES.get(phase, phase), file=sys.stderr
            )
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.update(max(0, done - self.done))
            self.done = done

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _column_map(mappings: tuple[str, ...]) -> dict[str, str]:
    out: dict[str, str] = {}
    for text in mappings:
        column, sep, target = text.rpartition("=")
        if not sep or not column.strip():
            raise click.UsageError("--map takes COLUMN=FIELD (for example 'Mobile #=phone:cell')")
        out[column] = target
    return out


def _summary(outcome: ImportReport) -> list[str]:
    c = outcome.counts()
    verb = "would add" if outcome.dry_run else "added"
    lines = [
        f"{verb} {c['added']}, {'would merge' if outcome.dry_run else 'merged'} {c['merged']}, "
        f"unchanged {c['unchanged']}, skipped {c['skipped']}, rejected {c['errors']} "
        f"({c['rows']} record(s) read)"
    ]
    if c["preferences"]:
        lines.append(f"consent preferences set for {c['preferences']} contact(s) (CiviCRM flags)")
    issues = sorted(
        [(i.line, "skipped", i) for i in outcome.skipped]
        + [(i.line, "rejected", i) for i in outcome.errors]
        + [(i.line, "warning", i) for i in outcome.warnings],
        key=lambda item: item[0],
    )
    for line, kind, issue in issues[:MAX_ISSUE_LINES]:
        matches = (" (" + ", ".join(short_id(m) for m in issue.matches) + ")"
                   if issue.matches else "")  # fmt: skip
        lines.append(f"  line {line}: {kind}: {safe(issue.message)}{matches}")
    if len(issues) > MAX_ISSUE_LINES:
        lines.append(f"  ... and {len(issues) - MAX_ISSUE_LINES} more (see --json)")
    if outcome.dry_run:
        lines.append("dry run: nothing was changed")
    return lines


@click.command(name="import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default=None,
    help="File format (default: detected from the content).",
)
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    default=None,
    help="CSV column layout (default: detected from the header).",
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Map a CSV column to a Kith field: name, given_name, family_name, email[:label],"
    " phone[:label], org, role, street, locality, region, postal_code, country,"
    " notes, tags, languages, field:KEY or skip (repeatable).",
)
@click.option("--region", default=None, help="Region for national phone numbers (e.g. FR).")
@click.option("--tag", "tags", multiple=True, help="Tag every imported contact (repeatable).")
@click.option("--dry-run", is_flag=True, help="Show what would be added, merged and rejected.")
@json_option
@pass_kith
def import_cmd(
    kith: KithContext,
    file: Path,
    fmt: str | None,
    preset: str | None,
    mappings: tuple[str, ...],
    region: str | None,
    tags: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Import contacts from a vCard, CSV or JSON file, all or nothing.

    Rows matching a contact by email or phone are merged into it; importing the same file twice
    adds nothing. See docs/import.md for Google, Outlook, Apple and CiviCRM.
    """
    options = ImportOptions(
        fmt=fmt, preset=preset, column_map=_column_map(mappings) or None,
        region=check_region(region) if region else "", tags=tags, dry_run=dry_run,
    )  # fmt: skip
    if file.stat().st_size > MAX_IMPORT_BYTES:
        raise ImportFailed("(the file is larger than 512 MiB; split it)")
    data = file.read_bytes()
    vault = kith.unlock()
    progress = _Progress() if sys.stderr.isatty() and len(data) >= PROGRESS_BYTES else None
    try:
        outcome = import_contacts(vault, data, options, progress)
    except ImportFailed as error:
        if as_json:
            emit_json({"dry_run": dry_run, "fatal": {"line": _line_of(error),
                                                     "message": error.message}})  # fmt: skip
        raise
    finally:
        if progress:
            progress.close()
    if as_json:
        emit_json(outcome.to_json())
    else:
        click.echo("\n".join(_summary(outcome)))
    if not dry_run:
        click.echo(destroy_advice(file), err=True)


def _line_of(error: ImportFailed) -> int | None:
    found = re.search(r"\bline (\d+)", error.detail or "")
    return int(found[1]) if found else None


@click.command(name="export")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(exporter.FORMATS),
    required=True,
    help="vcard (4.0), csv (Kith's columns) or json.",
)
@click.option(
    "--out",
    "out",
    required=True,
    metavar="FILE",
    help="A new file (never overwritten), created mode 0600; '-' writes to stdout.",
)
@click.option("--tag", "tags", multiple=True, help="Only contacts with this tag (repeatable: any).")
@click.option(
    "--yes-plaintext",
    is_flag=True,
    help="Confirm that you want an unencrypted file (needed when not on a terminal).",
)
@json_option
@pass_kith
def export_cmd(
    kith: KithContext, fmt: str, out: str, tags: tuple[str, ...], yes_plaintext: bool,
    as_json: bool,
) -> None:  # fmt: skip
    """Export contacts as an UNENCRYPTED vCard, CSV or JSON file.

    Anyone who gets the file can read every contact in it. Prefer `kith backup` to move a
    vault; export only to hand contacts to another tool, then destroy the file.
    """
    to_stdout = out == "-"
    if to_stdout and as_json:
        raise click.UsageError("--json prints a summary on stdout; it cannot go with --out -")
    path = Path(out)
    if not to_stdout and (path.exists() or path.is_symlink()):
        raise ExportExists
    if not yes_plaintext:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise PlaintextConsentRequired
        where = "standard output" if to_stdout else safe(out)
        if not click.confirm(f"Write your contacts UNENCRYPTED to {where}?", err=True):
            raise Cancelled
    vault = kith.unlock()
    contacts = exporter.select(vault, tags)
    if to_stdout:
        for chunk in exporter.render(fmt, contacts):
            click.echo(chunk, nl=False)
        click.echo(f"exported {len(contacts)} contact(s) as {fmt}", err=True)
        return
    exporter.write_plaintext(path, exporter.render(fmt, contacts), plaintext_ok=True)
    if as_json:
        emit_json({"format": fmt, "path": str(path), "count": len(contacts), "mode": "0600"})
    else:
        click.echo(f"exported {len(contacts)} contact(s) to {safe(out)} ({fmt}, mode 0600)")
    click.echo(destroy_advice(path), err=True)


@click.command()
@json_option
@pass_kith
def duplicates(kith: KithContext, as_json: bool) -> None:
    """List groups of contacts that are likely the same person (same email, phone or name)."""
    groups = find_duplicates(kith.unlock())
    if as_json:
        emit_json([g.to_json() for g in groups])
        return
    words = {"email": "same email", "phone": "same phone", "name": "same name"}
    for group in groups:
        why = ", ".join(words[r] for r in group.reasons)
        click.echo(f"{len(group.members)} contacts: {why}")
        for member in group.members:
            click.echo(f"  {short_id(member.id)}  {safe(member.name)}")
        click.echo("  merge: kith merge " + " ".join(short_id(m.id) for m in group.members))
    click.echo(f"{len(groups)} group(s) of likely duplicates", err=True)


@click.command()
@click.argument("contact_ids", nargs=-1, required=True, metavar="ID ID...")
@click.option(
    "--into",
    "into",
    default=None,
    metavar="ID",
    help="The contact to keep (default: the first ID).",
)
@json_option
@pass_kith
def merge(kith: KithContext, contact_ids: tuple[str, ...], into: str | None, as_json: bool) -> None:
    """Merge duplicates into one contact, keeping every value and all history.

    Emails, phones, addresses, tags, languages and custom fields are combined; names and other
    single values come from the kept contact where it has them. Activity, relationships, event
    sign-ups, consent and segments move to the kept contact; the others are then destroyed.
    """
    vault = kith.unlock()
    repo = vault.contacts
    resolved = list(dict.fromkeys(repo.resolve(c) for c in contact_ids))
    keep = repo.resolve(into) if into else resolved[0]
    others = [r for r in resolved if r != keep]
    if not others:
        raise NothingToMerge
    try:
        contact = merge_contacts(vault, keep, others, int(time.time()))
    finally:
        vault.drop_indexes()
    if as_json:
        emit_json({**contact.to_json(), "merged": [ids.full(o) for o in others]})
    else:
        click.echo(short_id(contact.id))
    click.echo(f"merged {len(others)} contact(s) into {short_id(contact.id)}", err=True)


__all__ = ["destroy_advice", "duplicates", "export_cmd", "import_cmd", "merge"]
