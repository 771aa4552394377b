"""Relationship commands: ``kith relate``, ``kith unrelate``, ``kith relations``."""

from __future__ import annotations

from typing import Any

import click

from tui.context import KithContext, pass_kith
from tui.output import emit_json, short_id, table
from vault import Vault, ids
from vault.domain.relationships import KINDS, Relationship

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
KIND_HELP = ", ".join(KINDS) + " (or the inverse: recruited, manages, has-member)"


def relationship_json(vault: Vault, rel: Relationship) -> dict[str, Any]:
    """The ``--json`` shape of one relationship, both sides named."""
    contacts = vault.contacts
    forward, backward = KINDS[rel.kind]
    return {
        "id": ids.full(rel.id),
        "kind": rel.kind,
        "subject": {
            "id": ids.full(rel.subject),
            "name": contacts.get_by_id(rel.subject).display_name(),
        },
        "object": {
            "id": ids.full(rel.object),
            "name": contacts.get_by_id(rel.object).display_name(),
        },
        "labels": {"subject": forward, "object": backward},
        "note": rel.note,
        "created": rel.created,
    }


@click.command(help=f"Relate two contacts: ID1 KIND ID2. KIND is one of {KIND_HELP}.")
@click.argument("first_id")
@click.argument("kind")
@click.argument("second_id")
@click.option("--note", default="", help="A note about this relationship.")
@json_option
@pass_kith
def relate(
    kith: KithContext, first_id: str, kind: str, second_id: str, note: str, as_json: bool
) -> None:
    """Relate two contacts."""
    vault = kith.unlock()
    contacts = vault.contacts
    first, second = contacts.resolve(first_id), contacts.resolve(second_id)
    rel, new = vault.relationships.relate(first, kind, second, note)
    if as_json:
        emit_json({**relationship_json(vault, rel), "new": new})
        return
    click.echo(short_id(ids.full(rel.id)))
    if not new:
        click.echo("(that relationship already existed)", err=True)


@click.command()
@click.argument("relationship_id")
@json_option
@pass_kith
def unrelate(kith: KithContext, relationship_id: str, as_json: bool) -> None:
    """Delete a relationship (both contacts stay)."""
    vault = kith.unlock()
    repo = vault.relationships
    rel = repo.get(repo.resolve(relationship_id))
    shown = relationship_json(vault, rel)
    repo.remove(rel.id)
    if as_json:
        emit_json({**shown, "deleted": True})
    else:
        click.echo(f"deleted relationship {short_id(ids.full(rel.id))}", err=True)


@click.command()
@click.argument("contact_id")
@json_option
@pass_kith
def relations(kith: KithContext, contact_id: str, as_json: bool) -> None:
    """Show a contact's relationships, from its side."""
    vault = kith.unlock()
    found = vault.relationships.relations(vault.contacts.resolve(contact_id))
    if as_json:
        emit_json([r.to_json() for r in found])
        return
    rows = [(short_id(r.id), r.label, r.other_name, short_id(r.other_id), r.note) for r in found]
    click.echo("\n".join(table(rows, ("ID", "RELATION", "CONTACT", "CONTACT ID", "NOTE"))))
    click.echo(f"{len(found)} relationship(s)", err=True)
