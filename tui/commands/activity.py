"""Activity commands (issue 6): ``kith log``, ``kith history``, ``kith prefs``,
``kith may-contact`` and ``kith saved list|delete``.

Every value is validated before anything is written, so a refused command (exit 4 unknown
contact, exit 5 invalid input) changes nothing. Dates are ``YYYY-MM-DD`` or
``YYYY-MM-DDTHH:MM`` in UTC.
"""

from __future__ import annotations

import sys
import time

import click

from tui.commands.contacts import print_matching
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json, short_id, table, when
from tui.safe_text import safe
from vault.domain.interactions import DIRECTIONS, KINDS, make_draft
from vault.domain.preferences import PreferenceChange, Preferences
from vault.domain.values import parse_moment

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
DATE_HELP = "YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC"


@click.command(name="log")
@click.argument("contact_id")
@click.option("--kind", required=True, help="One of: " + ", ".join(KINDS) + ".")
@click.option("--date", "date", default=None, help=f"When ({DATE_HELP}; default now).")
@click.option("--direction", default="", help="/".join(DIRECTIONS) + " (email kinds set it).")
@click.option("--summary", default="", help="What happened, in a line or two.")
@click.option("--outcome", default="", help="What came of it.")
@click.option("--campaign", default="", help="Campaign or petition name.")
@click.option("--event", "event_id", default=None, help="Link to this event (id prefix).")
@click.option("--label", default="", help="Name of a custom kind (with --kind custom).")
@click.option("--amount", default="", help="Donation amount, e.g. 25 or 12.50.")
@click.option("--currency", default="", help="Donation currency, e.g. EUR.")
@json_option
@pass_kith
def log(
    kith: KithContext,
    contact_id: str,
    kind: str,
    date: str | None,
    direction: str,
    summary: str,
    outcome: str,
    campaign: str,
    event_id: str | None,
    label: str,
    amount: str,
    currency: str,
    as_json: bool,
) -> None:
    """Log an interaction with a contact and print its id."""
    at = parse_moment(date) if date is not None else int(time.time())
    draft = make_draft(kind, at, direction=direction, summary=summary, outcome=outcome,
                       campaign=campaign, label=label, amount=amount, currency=currency)
    vault = kith.unlock()
    contact = vault.contacts.resolve(contact_id)
    event = vault.events.resolve(event_id) if event_id is not None else None
    done = vault.interactions.log(contact, draft, event_id=event)
    if as_json:
        emit_json(done.to_json())
    else:
        click.echo(short_id(done.id))


@click.command()
@click.argument("contact_id")
@click.option("--kind", default=None, help="Only this kind.")
@json_option
@pass_kith
def history(kith: KithContext, contact_id: str, kind: str | None, as_json: bool) -> None:
    """Show a contact's interactions, newest first."""
    vault = kith.unlock()
    found = vault.interactions.history(vault.contacts.resolve(contact_id), kind=kind)
    if as_json:
        emit_json([i.to_json() for i in found])
        return
    rows = []
    for item in found:
        what = item.label or item.kind
        detail = item.summary or item.campaign
        if item.amount:
            detail = f"{item.amount} {item.currency} {detail}".strip()
        rows.append((short_id(item.id), when(item.at), what, item.direction, detail))
    click.echo("\n".join(table(rows, ("ID", "WHEN", "KIND", "DIR", "SUMMARY"))))
    click.echo(f"{len(found)} interaction(s)", err=True)


def _prefs_lines(prefs: Preferences) -> list[str]:
    data = prefs.to_json()
    lines = [f"preferences of {short_id(prefs.contact)}"]
    if not prefs.recorded:
        lines.append("  nothing recorded: no channel is allowed (opt-in)")
        return lines
    lines.append(f"  {'allow':<15} {', '.join(data['allow']) or '-'}")
    lines.append(f"  {'deny':<15} {', '.join(data['deny']) or '-'}")
    lines.append(f"  {'max frequency':<15} {prefs.max_frequency or 'no limit'}")
    lines.append(f"  {'do not contact':<15} {'YES' if prefs.do_not_contact else 'no'}")
    for entry in prefs.consent:
        source = ", ".join(x for x in (entry.source, f"by {entry.by}" if entry.by else "") if x)
        lines.append(f"  consent {when(entry.at)}  {safe(source) or '-'}: "
                     f"{'; '.join(entry.changes) or 'no change'}")
        if entry.text:
            lines.append(f"    text: {safe(entry.text)}")
    return lines


@click.command()
@click.argument("contact_id")
@click.option("--allow", multiple=True, help="Allow CHANNEL or CHANNEL:KIND (repeatable).")
@click.option("--deny", multiple=True, help="Deny CHANNEL or CHANNEL:KIND (repeatable).")
@click.option("--max-frequency", default=None, help="daily, weekly, monthly or none.")
@click.option("--do-not-contact/--clear-do-not-contact", "do_not_contact", default=None,
              help="Set or clear do-not-contact (overrides every rule).")
@click.option("--consent-source", default="", help="How consent was given (form, in person...).")
@click.option("--consent-by", default="", help="Who recorded the consent.")
@click.option("--consent-text", default="", help="The text the person agreed to.")
@click.option("--consent-date", default=None, help=f"When consent was given ({DATE_HELP}).")
@json_option
@pass_kith
def prefs(
    kith: KithContext,
    contact_id: str,
    allow: tuple[str, ...],
    deny: tuple[str, ...],
    max_frequency: str | None,
    do_not_contact: bool | None,
    consent_source: str,
    consent_by: str,
    consent_text: str,
    consent_date: str | None,
    as_json: bool,
) -> None:
    """Show or change a contact's communication preferences and consent.

    Channels: email, sms, phone, post, in-person, signal, messenger. Kinds: news,
    campaign-alerts, events, fundraising. With nothing recorded nothing is allowed (opt-in);
    the most specific rule wins; do-not-contact overrides all.
    """
    change = PreferenceChange(
        allow=allow, deny=deny, max_frequency=max_frequency, do_not_contact=do_not_contact,
        consent_source=consent_source, consent_by=consent_by, consent_text=consent_text,
        consent_at=parse_moment(consent_date) if consent_date is not None else None,
    )
    vault = kith.unlock()
    contact = vault.contacts.resolve(contact_id)
    repo = vault.preferences
    result = repo.get(contact) if change.is_empty() else repo.change(
        contact, change, now=int(time.time())
    )
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo("\n".join(_prefs_lines(result)))


@click.command(name="may-contact")
@click.argument("channel", metavar="CHANNEL")
@click.argument("kind", metavar="KIND")
@click.option("--at", "at", default=None, help=f"At this moment ({DATE_HELP}; default now).")
@json_option
@pass_kith
def may_contact(kith: KithContext, channel: str, kind: str, at: str | None, as_json: bool) -> None:
    """List who may receive a KIND message on CHANNEL (consent, do-not-contact, frequency).

    CHANNEL: email, sms, phone, post, in-person, signal, messenger.
    KIND: news, campaign-alerts, events, fundraising.
    """
    from datetime import UTC, datetime

    moment = datetime.fromtimestamp(parse_moment(at), UTC) if at is not None else None
    vault = kith.unlock()
    allowed = vault.preferences.may_contact(channel, kind, at=moment)
    print_matching(vault, allowed, None, "name", as_json)


@click.group()
def saved() -> None:
    """Saved searches: list and delete (save with `kith search QUERY --save NAME`)."""


@saved.command(name="list")
@json_option
@pass_kith
def saved_list(kith: KithContext, as_json: bool) -> None:
    """List saved searches."""
    found = kith.unlock().saved_searches.all()
    if as_json:
        emit_json([s.to_json() for s in found])
        return
    click.echo("\n".join(table([(s.name, s.query) for s in found], ("NAME", "QUERY"))))
    click.echo(f"{len(found)} saved search(es)", err=True)


@saved.command(name="delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_kith
def saved_delete(kith: KithContext, name: str, yes: bool) -> None:
    """Delete a saved search (the contacts it matched are not touched)."""
    repo = kith.unlock().saved_searches
    found = repo.get(name)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        if not click.confirm(f"Delete saved search {safe(found.name)!r}?", err=True):
            raise Cancelled
    repo.delete(found.name)
    click.echo(f"deleted saved search {safe(found.name)!r}", err=True)
