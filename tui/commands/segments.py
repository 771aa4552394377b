"""Segment commands: ``kith segment create|rename|delete|list|show|add|remove``.

Segments are named by their (case-insensitive) name; contacts by any unique id prefix. Every id
on a command line is resolved before anything changes, so one unknown id (exit 4) or a bad one
(exit 5) leaves the vault exactly as it was.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tui.commands import sync_cmds
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json, short_id, table, when
from tui.safe_text import safe
from vault import Vault, ids
from vault.domain.dates import iso, last_kept_day
from vault.domain.segments import Segment

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def segment_json(segment: Segment) -> dict[str, Any]:
    """The ``--json`` shape of one segment."""
    return {
        "id": segment.id.hex(),
        "name": segment.name,
        "epoch": segment.epoch,
        "created": segment.created,
        "until": None if segment.expires is None else iso(last_kept_day(segment.expires)),
        "contacts": segment.contacts,
    }


def _until(segment: Segment) -> str:
    return "" if segment.expires is None else iso(last_kept_day(segment.expires))


@click.group(name="segment")
def segment() -> None:
    """Named groups of contacts; each segment has its own key."""


@segment.command(name="create")
@click.argument("name")
@json_option
@pass_kith
def create(kith: KithContext, name: str, as_json: bool) -> None:
    """Create a segment (and its key)."""
    made = kith.unlock().segments.create(name)
    if as_json:
        emit_json(segment_json(made))
    else:
        click.echo(f"created segment {safe(made.name)}", err=True)


@segment.command(name="rename")
@click.argument("name")
@click.argument("new_name")
@json_option
@pass_kith
def rename(kith: KithContext, name: str, new_name: str, as_json: bool) -> None:
    """Rename a segment (its key and members do not change)."""
    repo = kith.unlock().segments
    renamed = repo.rename(repo.find(name), new_name)
    if as_json:
        emit_json(segment_json(renamed))
    else:
        click.echo(f"renamed to {safe(renamed.name)}", err=True)


@segment.command(name="list")
@json_option
@pass_kith
def list_segments(kith: KithContext, as_json: bool) -> None:
    """List segments (your private segment is not listed)."""
    found = kith.unlock().segments.all()
    if as_json:
        emit_json([segment_json(s) for s in found])
        return
    rows = [(s.name, str(s.contacts), _until(s)) for s in found]
    click.echo("\n".join(table(rows, ("SEGMENT", "CONTACTS", "UNTIL"))))


def _members(vault: Vault, segment: Segment) -> list[dict[str, str]]:
    repo = vault.contacts
    members = [repo.get_by_id(r) for r in vault.segments.contact_ids(segment)]
    members.sort(key=lambda c: (c.display_name().casefold(), c.id))
    return [{"id": c.id, "name": c.display_name()} for c in members]


@segment.command(name="show")
@click.argument("name")
@json_option
@pass_kith
def show(kith: KithContext, name: str, as_json: bool) -> None:
    """Show a segment and its contacts."""
    vault = kith.unlock()
    found = vault.segments.find(name)
    members = _members(vault, found)
    if as_json:
        emit_json({**segment_json(found), "members": members})
        return
    click.echo(f"{safe(found.name)}  ({found.id.hex()[: ids.SHORT_DIGITS]})")
    click.echo(f"  {'created':<12} {when(found.created)}")
    click.echo(f"  {'key epoch':<12} {found.epoch}")
    if found.expires is not None:
        click.echo(f"  {'kept until':<12} {_until(found)}")
    click.echo(f"  {'contacts':<12} {found.contacts}")
    for member in members:
        click.echo(f"    {short_id(member['id'])}  {safe(member['name'])}")


@segment.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@json_option
@pass_kith
def delete(kith: KithContext, name: str, yes: bool, as_json: bool) -> None:
    """Delete a segment and destroy its key; your own contacts stay in your private segment."""
    vault = kith.unlock()
    found = vault.segments.find(name)
    kept, shredded = vault.segments.plan_delete(found)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        prompt = (
            f"Delete segment {safe(found.name)!r}? Its key is destroyed; {len(kept)} record(s) "
            f"stay in another segment, {len(shredded)} only in it are shredded"
        )
        if not click.confirm(prompt, err=True):
            raise Cancelled
    done = vault.segments.delete(found)
    if as_json:
        emit_json({"deleted": found.name, "kept": done.kept, "shredded": done.shredded})
    else:
        click.echo(
            f"deleted segment {safe(found.name)} ({done.kept} kept, {done.shredded} shredded)",
            err=True,
        )


def _membership(
    kith: KithContext, name: str, contact_ids: tuple[str, ...], as_json: bool, *, adding: bool
) -> None:
    vault = kith.unlock()
    repo = vault.segments
    found = repo.find(name)
    contacts = vault.contacts
    resolved = list(dict.fromkeys(contacts.resolve(c) for c in contact_ids))
    changed = repo.add(found, resolved) if adding else repo.remove(found, resolved)
    sync_cmds.after_write(vault)  # issue 7: shared records become signed ops
    after = repo.by_id(found.id)
    if as_json:
        emit_json({**segment_json(after), "changed": changed})
    else:
        verb = "added to" if adding else "removed from"
        click.echo(f"{changed} contact(s) {verb} {safe(after.name)}", err=True)


@segment.command(name="add")
@click.argument("name")
@click.argument("contact_ids", nargs=-1, required=True)
@json_option
@pass_kith
def add(kith: KithContext, name: str, contact_ids: tuple[str, ...], as_json: bool) -> None:
    """Add contacts to a segment (their keys are wrapped for it)."""
    _membership(kith, name, contact_ids, as_json, adding=True)


@segment.command(name="remove")
@click.argument("name")
@click.argument("contact_ids", nargs=-1, required=True)
@json_option
@pass_kith
def remove(kith: KithContext, name: str, contact_ids: tuple[str, ...], as_json: bool) -> None:
    """Remove contacts from a segment (they stay in your private segment)."""
    _membership(kith, name, contact_ids, as_json, adding=False)
