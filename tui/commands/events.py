"""Event commands (issue 6): ``kith event create|list|show|signup|checkin|quick``.

Sign-ups by id are all or nothing (an unknown id, exit 4, or a full event, exit 5, changes
nothing). ``quick`` reads one attendee per line from stdin for the door of a live event, and
keeps going past a bad line: each failure is one line on stderr, then a summary line, and the
exit code is that of the last failure (0 when every line worked).
"""

from __future__ import annotations

import sys
from typing import Any

import click

from tui.context import KithContext, pass_kith
from tui.errors import SomeLinesFailed
from tui.output import emit_json, short_id, table, when
from tui.safe_text import safe
from vault import Vault
from vault.domain.events import ContactMatcher, Event, QuickSignup, make_event
from vault.domain.validate import check_region
from vault.domain.values import parse_moment
from vault.errors import InvalidInput, KithError

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
DATE_HELP = "YYYY-MM-DD or YYYY-MM-DDTHH:MM, UTC"
MAX_QUICK_LINE = 1024


def _event_lines(event: Event, vault: Vault) -> list[str]:
    lines = [
        f"{safe(event.name)}  ({short_id(event.id)})",
        f"  {'starts':<12} {when(event.starts)}",
    ]
    if event.ends is not None:
        lines.append(f"  {'ends':<12} {when(event.ends)}")
    if event.place:
        lines.append(f"  {'place':<12} {safe(event.place)}")
    cap = f" of {event.capacity}" if event.capacity is not None else ""
    lines.append(f"  {'signed up':<12} {len(event.signups)}{cap}")
    lines.append(f"  {'attended':<12} {len(event.attended)}")
    if event.description:
        lines.append("  description")
        lines.extend(f"    {safe(line)}" for line in event.description.splitlines())
    repo = vault.contacts
    for title, people in (("signed up", event.signups), ("attended", event.attended)):
        if people:
            lines.append(f"  {title}:")
            for cid in people:
                name = repo.get_by_id(bytes.fromhex(cid)).display_name()
                lines.append(f"    {short_id(cid)}  {safe(name)}")
    return lines


@click.group()
def event() -> None:
    """Events: create, list, show, sign people up, check them in."""


@event.command(name="create")
@click.option("--name", required=True, help="What the event is called.")
@click.option("--date", "date", required=True, help=f"When it starts ({DATE_HELP}).")
@click.option("--end", "end", default=None, help=f"When it ends ({DATE_HELP}).")
@click.option("--place", default="", help="Where.")
@click.option("--capacity", type=int, default=None, help="How many can sign up.")
@click.option("--description", default="", help="What it is about.")
@json_option
@pass_kith
def create(
    kith: KithContext,
    name: str,
    date: str,
    end: str | None,
    place: str,
    capacity: int | None,
    description: str,
    as_json: bool,
) -> None:
    """Create an event and print its id."""
    draft = make_event(
        name, parse_moment(date), ends=parse_moment(end) if end is not None else None,
        place=place, capacity=capacity, description=description,
    )
    made = kith.unlock().events.create(draft)
    if as_json:
        emit_json(made.to_json())
    else:
        click.echo(short_id(made.id))


@event.command(name="list")
@json_option
@pass_kith
def list_events(kith: KithContext, as_json: bool) -> None:
    """List events, soonest first."""
    found = kith.unlock().events.all()
    if as_json:
        emit_json([e.to_json() for e in found])
        return
    rows = [
        (short_id(e.id), when(e.starts), e.name, e.place,
         f"{len(e.signups)}" + (f"/{e.capacity}" if e.capacity is not None else ""),
         str(len(e.attended)))
        for e in found
    ]
    click.echo("\n".join(table(rows, ("ID", "STARTS", "NAME", "PLACE", "SIGNED", "CAME"))))
    click.echo(f"{len(found)} event(s)", err=True)


@event.command(name="show")
@click.argument("event_id")
@json_option
@pass_kith
def show(kith: KithContext, event_id: str, as_json: bool) -> None:
    """Show one event with who signed up and who came."""
    vault = kith.unlock()
    found = vault.events.get_by_id(vault.events.resolve(event_id))
    if as_json:
        emit_json(found.to_json())
    else:
        click.echo("\n".join(_event_lines(found, vault)))


def _quick(vault: Vault, event_id: bytes, matcher: ContactMatcher, name: str, email: str,
           phone: str, region: str, checkin: bool) -> QuickSignup:
    return vault.events.quick_signup(
        event_id, vault.contacts, matcher, name=name, email=email, phone=phone,
        region=region, checkin=checkin,
    )


def _quick_text(result: QuickSignup) -> str:
    how = "new contact" if result.created else "matched"
    done = "signed up and checked in" if result.checked_in else "signed up"
    return f"{short_id(result.contact.id)}  {safe(result.contact.display_name())}  ({how}, {done})"


@event.command(name="signup")
@click.argument("event_id")
@click.argument("contact_ids", nargs=-1)
@click.option("--name", default="", help="Quick sign-up: the person's name.")
@click.option("--email", default="", help="Quick sign-up: matched, or used for a new contact.")
@click.option("--phone", default="", help="Quick sign-up: matched if no email matched.")
@click.option("--region", default=None, help="Region for a national phone number (e.g. FR).")
@click.option("--checkin", is_flag=True, help="Also check them in (they are here).")
@json_option
@pass_kith
def signup(
    kith: KithContext,
    event_id: str,
    contact_ids: tuple[str, ...],
    name: str,
    email: str,
    phone: str,
    region: str | None,
    checkin: bool,
    as_json: bool,
) -> None:
    """Sign contacts up by id, or one person by name plus email or phone (quick mode)."""
    quick = bool(name or email or phone)
    if quick == bool(contact_ids):
        raise InvalidInput("(give contact ids, or --name with --email or --phone, not both)")
    vault = kith.unlock()
    events = vault.events
    target = events.resolve(event_id)
    if quick:
        matcher = ContactMatcher(vault.contacts.all())
        where = check_region(region) if region else vault.region
        result = _quick(vault, target, matcher, name, email, phone, where, checkin)
        if as_json:
            emit_json({"event": events.get_by_id(target).id, **result.to_json()})
        else:
            click.echo(_quick_text(result))
        return
    people = [vault.contacts.resolve(c) for c in contact_ids]
    fresh = events.signup(target, people)
    if checkin:
        events.checkin(target, people)
    _report(events.get_by_id(target), people, fresh, "signed_up", as_json)


@event.command(name="checkin")
@click.argument("event_id")
@click.argument("contact_ids", nargs=-1, required=True)
@json_option
@pass_kith
def checkin_cmd(
    kith: KithContext, event_id: str, contact_ids: tuple[str, ...], as_json: bool
) -> None:
    """Check contacts in at an event (logged as event-attended in their history)."""
    vault = kith.unlock()
    target = vault.events.resolve(event_id)
    people = [vault.contacts.resolve(c) for c in contact_ids]
    fresh = vault.events.checkin(target, people)
    _report(vault.events.get_by_id(target), people, fresh, "checked_in", as_json)


def _report(event_obj: Event, people: list[bytes], fresh: list[bytes], what: str,
            as_json: bool) -> None:
    new = [p.hex() for p in fresh]
    already = [p.hex() for p in dict.fromkeys(people) if p not in fresh]
    if as_json:
        data: dict[str, Any] = {"event": event_obj.id, what: new, "already": already}
        emit_json(data)
        return
    for cid in new:
        click.echo(f"{what.replace('_', ' ')} {short_id(cid)}")
    for cid in already:
        click.echo(f"already {short_id(cid)}", err=True)


@event.command(name="quick")
@click.argument("event_id")
@click.option("--region", default=None, help="Region for national phone numbers (e.g. FR).")
@click.option("--checkin", is_flag=True, help="Also check each person in.")
@json_option
@pass_kith
def quick_cmd(kith: KithContext, event_id: str, region: str | None, checkin: bool,
              as_json: bool) -> None:
    """Door mode: read 'NAME; EMAIL-OR-PHONE' lines from stdin, sign each person up.

    An existing contact with that email or phone is matched; otherwise one is created.
    The vault is unlocked once for the whole list.
    """
    vault = kith.unlock()
    target = vault.events.resolve(event_id)
    where = check_region(region) if region else vault.region
    matcher = ContactMatcher(vault.contacts.all())
    results: list[dict[str, Any]] = []
    failed: KithError | None = None
    for number, raw in enumerate(sys.stdin, 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            if len(line) > MAX_QUICK_LINE:
                raise InvalidInput(f"(a line is at most {MAX_QUICK_LINE} characters)")
            name, sep, reach = line.rpartition(";")
            if not sep:
                raise InvalidInput("(write NAME; EMAIL-OR-PHONE)")
            reach = reach.strip()
            email, phone = (reach, "") if "@" in reach else ("", reach)
            result = _quick(vault, target, matcher, name.strip(), email, phone, where, checkin)
        except KithError as error:
            failed = error
            click.echo(f"kith: line {number}: {error.message}", err=True)
            continue
        results.append(result.to_json())
        if not as_json:
            click.echo(_quick_text(result))
    if as_json:
        emit_json(results)
    if failed is not None:
        raise SomeLinesFailed(failed.exit_code)
