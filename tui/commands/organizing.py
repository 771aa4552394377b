"""Organizing commands: ``kith target ...``, ``kith retain``, ``kith expire``, ``kith stats``.

Every value is validated (dates, stance, ids) before anything is written, so a refused command
(exit 4 or 5) changes nothing.
"""

from __future__ import annotations

import sys
import time

import click

from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json, short_id, table
from tui.safe_text import safe
from vault import ids
from vault.domain.dates import day_of, day_start, iso, last_kept_day, parse_day
from vault.domain.retention import ContactRetention, Plan, field_label
from vault.domain.targets import Target
from vault.errors import InvalidInput

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
STANCE_HELP = "1 strong supporter, 2 supporter, 3 undecided, 4 opponent, 5 strong opponent."
SEGMENT_PREFIX = "segment:"
DEFAULT_WINDOW_DAYS = 30


# -- targets -------------------------------------------------------------------------------


def target_lines(target: Target) -> list[str]:
    """A target as labelled lines."""
    lines = [f"{safe(target.name)}  ({short_id(ids.full(target.contact_id))})"]
    lines.append(f"  {'institution':<12} {safe(target.institution)}")
    lines.append(f"  {'stance':<12} {target.stance} ({target.stance_label})")
    if target.role:
        lines.append(f"  {'role':<12} {safe(target.role)}")
    if target.notes:
        lines.append("  notes")
        lines.extend(f"    {safe(line)}" for line in target.notes.splitlines())
    return lines


@click.group(name="target")
def target() -> None:
    """Decision-makers and opponents: institution and stance (1-5) on a contact."""


@target.command(name="set", help=f"Make a contact a target, or change it. Stance: {STANCE_HELP}")
@click.argument("contact_id")
@click.option("--institution", default=None, help="Where they hold power (council, company).")
@click.option("--stance", default=None, help="1 (strong supporter) to 5 (strong opponent).")
@click.option("--role", default=None, help="Their role there (default: the contact's role).")
@click.option("--note", default=None, help="Notes on this target (replaces earlier notes).")
@json_option
@pass_kith
def target_set(
    kith: KithContext,
    contact_id: str,
    institution: str | None,
    stance: str | None,
    role: str | None,
    note: str | None,
    as_json: bool,
) -> None:
    """Make a contact a target, or change it."""
    vault = kith.unlock()
    done = vault.targets.set(
        vault.contacts.resolve(contact_id),
        institution=institution,
        stance=stance,
        role=role,
        notes=note,
    )
    if as_json:
        emit_json(done.to_json())
    else:
        click.echo(short_id(ids.full(done.contact_id)))


@target.command(name="show")
@click.argument("contact_id")
@json_option
@pass_kith
def target_show(kith: KithContext, contact_id: str, as_json: bool) -> None:
    """Show a contact's target details."""
    vault = kith.unlock()
    found = vault.targets.get(vault.contacts.resolve(contact_id))
    if as_json:
        emit_json(found.to_json())
    else:
        click.echo("\n".join(target_lines(found)))


@target.command(name="list")
@click.option("--stance", default=None, help="Only this stance (1-5).")
@json_option
@pass_kith
def target_list(kith: KithContext, stance: str | None, as_json: bool) -> None:
    """List targets by stance, strongest supporters first."""
    found = kith.unlock().targets.all(stance)
    if as_json:
        emit_json([t.to_json() for t in found])
        return
    rows = [
        (
            short_id(ids.full(t.contact_id)),
            t.name,
            t.institution,
            t.role,
            f"{t.stance} {t.stance_label}",
        )
        for t in found
    ]
    click.echo("\n".join(table(rows, ("ID", "NAME", "INSTITUTION", "ROLE", "STANCE"))))
    click.echo(f"{len(found)} target(s)", err=True)


@target.command(name="clear")
@click.argument("contact_id")
@json_option
@pass_kith
def target_clear(kith: KithContext, contact_id: str, as_json: bool) -> None:
    """Stop tracking a contact as a target (the contact stays)."""
    vault = kith.unlock()
    gone = vault.targets.clear(vault.contacts.resolve(contact_id))
    if as_json:
        emit_json({**gone.to_json(), "cleared": True})
    else:
        click.echo(f"cleared target {short_id(ids.full(gone.contact_id))}", err=True)


# -- retention -----------------------------------------------------------------------------


def _retention_lines(rules: ContactRetention, name: str) -> list[str]:
    until = (
        "indefinitely" if rules.expires is None else f"until {iso(last_kept_day(rules.expires))}"
    )
    lines = [f"{safe(name)}  ({short_id(ids.full(rules.contact_id))}): kept {until}"]
    for key, expires in sorted(rules.fields.items()):
        lines.append(f"  {safe(field_label(key))}: kept until {iso(last_kept_day(expires))}")
    return lines


@click.command()
@click.argument("what", metavar="ID|segment:NAME")
@click.option(
    "--until", "until_text", default=None, metavar="YYYY-MM-DD", help="Keep through this day (UTC)."
)
@click.option("--clear", is_flag=True, help="Remove the expiry: keep indefinitely.")
@click.option(
    "--field",
    "field_name",
    default=None,
    help="Expire one field (emails, phones, notes, a custom field).",
)
@json_option
@pass_kith
def retain(
    kith: KithContext,
    what: str,
    until_text: str | None,
    clear: bool,
    field_name: str | None,
    as_json: bool,
) -> None:
    """Set, clear or show how long a contact, a field or a segment is kept."""
    if until_text is not None and clear:
        raise click.UsageError("give --until or --clear, not both")
    until = parse_day(until_text) if until_text is not None else None
    change = until_text is not None or clear
    vault = kith.unlock()
    retention = vault.retention
    if what.casefold().startswith(SEGMENT_PREFIX):
        if field_name is not None:
            raise InvalidInput("(--field applies to a contact, not a segment)")
        segment = vault.segments.find(what[len(SEGMENT_PREFIX) :])
        if change:
            segment = retention.retain_segment(segment, until)
        kept = None if segment.expires is None else iso(last_kept_day(segment.expires))
        if as_json:
            emit_json({"segment": segment.name, "id": segment.id.hex(), "until": kept})
        else:
            click.echo(
                f"segment {safe(segment.name)}: kept {'until ' + kept if kept else 'indefinitely'}"
            )
        return
    contacts = vault.contacts
    contact_id = contacts.resolve(what)
    if field_name is not None and change:
        rules = retention.retain_field(contact_id, field_name, until)
    elif field_name is not None:
        retention.field_key(contact_id, field_name)  # an unknown field is an error here too
        rules = retention.of_contact(contact_id)
    elif change:
        rules = retention.retain_contact(contact_id, until)
    else:
        rules = retention.of_contact(contact_id)
    if as_json:
        emit_json(rules.to_json())
    else:
        click.echo(
            "\n".join(_retention_lines(rules, contacts.get_by_id(contact_id).display_name()))
        )


def plan_lines(plan: Plan) -> list[str]:
    """What an expire run will shred, for people."""
    lines: list[str] = []
    for segment in plan.segments:
        lines.append(f"segment  {safe(segment.name)} (kept until {_day(segment.expires)})")
    for contact in plan.contacts:
        why = "its own date" if contact.because == "contact" else safe(contact.because)
        extra = f", with {contact.dependents} linked record(s)" if contact.dependents else ""
        lines.append(
            f"contact  {short_id(ids.full(contact.id))} {safe(contact.name)} "
            f"(until {_day(contact.expires)}, {why}{extra})"
        )
    for item in plan.fields:
        lines.append(
            f"field    {safe(field_label(item.field))} of {short_id(ids.full(item.contact_id))} "
            f"{safe(item.contact_name)} (until {_day(item.expires)})"
        )
    return lines


def _day(expires: int | None) -> str:
    return "?" if expires is None else iso(last_kept_day(expires))


@click.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--dry-run", is_flag=True, help="Only show what has expired; change nothing.")
@click.option(
    "--now",
    "now_text",
    default=None,
    metavar="YYYY-MM-DD",
    help="Act as if today were this day (UTC).",
)
@json_option
@pass_kith
def expire(
    kith: KithContext, yes: bool, dry_run: bool, now_text: str | None, as_json: bool
) -> None:
    """Crypto-shred every contact, field and segment whose retention date has passed."""
    now = day_start(parse_day(now_text)) if now_text is not None else int(time.time())
    vault = kith.unlock()
    retention = vault.retention
    plan = retention.plan(now)
    if plan.empty or dry_run:
        if as_json:
            emit_json({**plan.to_json(), "shredded": False})
        elif plan.empty:
            click.echo("nothing has expired", err=True)
        else:
            click.echo("\n".join(plan_lines(plan)))
        return
    if not yes and not sys.stdin.isatty():
        raise ConfirmationRequired
    if not (as_json and yes):  # people always see the list before anything is shredded
        click.echo("\n".join(plan_lines(plan)), err=True)
    prompt = "Shred all of the above for good? Their keys are destroyed"
    if not yes and not click.confirm(prompt, err=True):
        raise Cancelled
    outcome = vault.expire(plan)
    if as_json:
        emit_json({**plan.to_json(), "shredded": True, **outcome.to_json()})
    else:
        click.echo(
            f"shredded {outcome.records_shredded} record(s), removed {outcome.fields_removed} "
            f"field(s), deleted {outcome.segments_deleted} segment(s)",
            err=True,
        )


# -- engagement ----------------------------------------------------------------------------


@click.command()
@click.option("--segment", "segment_name", default=None, help="Only the contacts in this segment.")
@click.option(
    "--since",
    "since_text",
    default=None,
    metavar="YYYY-MM-DD",
    help="Count from this day (UTC; default: 30 days ago).",
)
@click.option("--all-time", is_flag=True, help="Count from the beginning.")
@json_option
@pass_kith
def stats(
    kith: KithContext,
    segment_name: str | None,
    since_text: str | None,
    all_time: bool,
    as_json: bool,
) -> None:
    """Engagement: new contacts, interactions by kind, attendance, who acted after a message."""
    if since_text is not None and all_time:
        raise click.UsageError("give --since or --all-time, not both")
    now = int(time.time())
    since: int | None = None
    if since_text is not None:
        since = day_start(parse_day(since_text))
    elif not all_time:
        since = day_start(day_of(now)) - DEFAULT_WINDOW_DAYS * 86_400
    result = kith.unlock().engagement(now=now, since=since, segment=segment_name)
    if as_json:
        emit_json(result.to_json())
        return
    data = result.to_json()
    scope = f"segment {safe(result.segment)}" if result.segment else "all contacts"
    click.echo(f"{scope}, {data['since'] or 'the beginning'} to {data['until']}")
    click.echo(f"  {'contacts':<22} {result.contacts}")
    click.echo(f"  {'new contacts':<22} {result.new_contacts}")
    click.echo(f"  {'interactions':<22} {data['interactions_total']}")
    for kind, count in data["interactions"].items():
        click.echo(f"    {kind:<20} {count}")
    seen = result.attendance
    came = "n/a" if seen.signed_up == 0 else f"{seen.showed_up / seen.signed_up:.0%}"
    click.echo(f"  {'events':<22} {seen.events}")
    click.echo(
        f"  {'signed up / attended':<22} {seen.signed_up} / {seen.attended} ({came} showed up)"
    )
    share = "n/a" if result.share is None else f"{result.share:.0%}"
    click.echo(f"  {'acted after a message':<22} {result.acted} of {result.messaged} ({share})")
