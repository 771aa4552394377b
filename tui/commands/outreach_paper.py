"""Paper mail merge (issue 8): ``kith outreach paper labels|letters`` as PDF.

    kith outreach paper labels  --audience A --kind K --out FILE [--sheet L7160] [--yes-plaintext]
    kith outreach paper letters --audience A --kind K --body-file F --out FILE [--event ID]
                                [--yes-plaintext]

Both are plaintext exports of names and addresses: they need ``--yes-plaintext`` (or a yes on
a terminal), write a new file with mode 0600, and print how to destroy it. The audience honours
consent on the ``post`` channel like any outreach.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import click

from outreach.audience import Resolution, event_values, merge_values, parse_audience, resolve
from outreach.compose import check_kind
from outreach.paper import SHEETS, check_sheet, labels_pdf, letters_pdf, write_new_file
from outreach.template import compile_template
from tui.commands.interchange import destroy_advice
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, PlaintextConsentRequired
from tui.output import emit_json
from tui.safe_text import safe
from vault import Vault
from vault.errors import ExportExists, InvalidInput

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
KINDS = ["news", "campaign", "campaign-alerts", "events", "fundraising"]


def _consent(out: Path, yes_plaintext: bool) -> None:
    if out.exists() or out.is_symlink():
        raise ExportExists
    if not yes_plaintext:
        if not (sys.stdin.isatty() and sys.stderr.isatty()):
            raise PlaintextConsentRequired
        if not click.confirm(f"Write names and addresses UNENCRYPTED to {safe(str(out))}?",
                             err=True):
            raise Cancelled


def _audience(vault: Vault, audience: str, kind: str) -> Resolution:
    return resolve(vault, parse_audience(vault, audience), "post", check_kind(kind),
                   int(time.time()))


def _done(out: Path, found: Resolution, what: str, as_json: bool) -> None:
    data = {"path": str(out), what: len(found.recipients), "excluded": len(found.excluded),
            "mode": "0600"}
    if as_json:
        emit_json(data)
    else:
        click.echo(f"wrote {len(found.recipients)} {what} to {safe(str(out))} (PDF, mode 0600); "
                   f"{len(found.excluded)} excluded (see `kith outreach preview`)")
    click.echo(destroy_advice(out), err=True)


@click.group()
def paper() -> None:
    """Letters and address labels as PDF (plaintext exports: --yes-plaintext)."""


@paper.command()
@click.option("--audience", required=True, help="segment:NAME, saved:NAME or ID,ID,...")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--sheet", default="L7160", show_default=True,
              help="Label sheet: " + ", ".join(SHEETS) + ".")
@click.option("--yes-plaintext", is_flag=True, help="Confirm the unencrypted file.")
@json_option
@pass_kith
def labels(kith: KithContext, audience: str, kind: str, out: Path, sheet: str,
           yes_plaintext: bool, as_json: bool) -> None:
    """Address labels for everyone who agreed to post of KIND."""
    chosen = check_sheet(sheet)
    _consent(out, yes_plaintext)
    vault = kith.unlock()
    found = _audience(vault, audience, kind)
    blocks = [f"{r.contact.display_name()}\n{r.address}" for r in found.recipients]
    write_new_file(out, labels_pdf(blocks, chosen))
    _done(out, found, "labels", as_json)


@paper.command()
@click.option("--audience", required=True, help="segment:NAME, saved:NAME or ID,ID,...")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--body-file", required=True, type=click.Path(exists=True, dir_okay=False,
                                                            path_type=Path))
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--event", "event_id", default=None, help="Event whose details fill {event_*}.")
@click.option("--yes-plaintext", is_flag=True, help="Confirm the unencrypted file.")
@json_option
@pass_kith
def letters(kith: KithContext, audience: str, kind: str, body_file: Path, out: Path,
            event_id: str | None, yes_plaintext: bool, as_json: bool) -> None:
    """One merged letter per person who agreed to post of KIND."""
    try:
        body = compile_template(body_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        raise InvalidInput("(cannot read the body file as UTF-8 text)") from None
    _consent(out, yes_plaintext)
    vault = kith.unlock()
    event = vault.events.get_by_id(vault.events.resolve(event_id)) if event_id else None
    base = event_values(event)
    found = _audience(vault, audience, kind)
    dated = datetime.now(UTC).strftime("%Y-%m-%d")
    pages = [(f"{r.contact.display_name()}\n{r.address}", dated,
              body.render(merge_values(r.contact, "", base))) for r in found.recipients]
    write_new_file(out, letters_pdf(pages))
    _done(out, found, "letters", as_json)

