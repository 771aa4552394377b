"""``kith introduce`` (issue 17): put supporters in touch, only those who said YES.

    kith introduce new --audience A [--channel email|sms] [--kind campaign]
                       [--share name,email[,phone]] [--subject S] [--body-file F] [--json]
    kith introduce send ROUND [--retry-uncertain]     # sends the invitation (outreach send)
    kith introduce record ROUND CONTACT --answer yes|no --source S [--by B] [--at DATE]
    kith introduce withdraw CONTACT --source S [--by B]
    kith introduce status ROUND [--json]              # counts only
    kith introduce connect ROUND [--segment NAME] [--json]
    kith introduce list [--json]

Replies (YES/NO/STOP) come in through ``kith outreach replies import`` and ``sms-inbox``;
``status`` and ``connect`` read them. Output is counts: no command here prints who declined
or who did not answer (rules in ``outreach/introduce.py``).
"""

from __future__ import annotations

import click

from outreach.introduce import Introductions, check_share
from outreach.introduce_send import Connector
from outreach.outbox import Outbox
from outreach.sender import Sender
from tui.commands.intake_glue import answer_link
from tui.commands.outreach import _read_text, _transport
from tui.context import KithContext, pass_kith
from tui.output import emit_json, short_id, table, when
from tui.safe_text import safe
from vault.domain.values import parse_moment
from vault.errors import NoSuchSegment

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


@click.group()
def introduce() -> None:
    """Put supporters in touch by consent: only people who said YES (docs/outreach.md)."""


@introduce.command(name="new")
@click.option("--audience", required=True, help="segment:NAME, saved:NAME or ID,ID,...")
@click.option("--channel", type=click.Choice(["email", "sms"]), default="email",
              show_default=True)
@click.option("--kind", type=click.Choice(["news", "campaign", "campaign-alerts", "events"]),
              default="campaign", show_default=True, help="The consent kind it is sent under.")
@click.option("--share", default="name,email", show_default=True,
              help="What each person who says YES shares: name plus email and/or phone.")
@click.option("--subject", default="", help="Email subject (a default is used).")
@click.option("--body-file", default=None, help="Your own invitation text (merge fields ok).")
@json_option
@pass_kith
def new(kith: KithContext, audience: str, channel: str, kind: str, share: str, subject: str,
        body_file: str | None, as_json: bool) -> None:
    """Compose the invitation (into the outbox) and open a round; prints the round id."""
    parts = check_share(share)
    body = _read_text(body_file, "the body file") if body_file else ""
    vault = kith.unlock()
    found = Introductions(vault).create(audience, channel, kind, parts, subject, body)
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"invitation {short_id(found.message)} composed; preview it with `kith outreach "
               f"preview {short_id(found.message)}`, send it with `kith introduce send "
               f"{short_id(found.id)}`", err=True)
    click.echo(short_id(found.id))


@introduce.command(name="send")
@click.argument("round_id", metavar="ROUND")
@click.option("--retry-uncertain", is_flag=True, help="As `kith outreach send`.")
@pass_kith
def send(kith: KithContext, round_id: str, retry_uncertain: bool) -> None:
    """Send the round's invitation, with outreach's consent rules and resume guarantees."""
    vault = kith.unlock()
    intros = Introductions(vault)
    found = intros.get(intros.resolve(round_id))
    message = bytes.fromhex(found.message)
    transport, rate, unsubscribe = _transport(vault, Outbox.of(vault).get(message).channel)
    outcome = Sender(vault, message, transport, per_minute=rate, unsubscribe=unsubscribe,
                     link=answer_link(vault, found.id)).run(retry_uncertain=retry_uncertain)
    click.echo(f"sent {outcome.sent}, failed {outcome.failed}, skipped {outcome.skipped}, "
               f"uncertain {outcome.uncertain}, deferred {outcome.deferred}")


@introduce.command(name="record")
@click.argument("round_id", metavar="ROUND")
@click.argument("contact_id", metavar="CONTACT")
@click.option("--answer", required=True, type=click.Choice(["yes", "no"]))
@click.option("--source", required=True, help="How the answer came: 'phone call', 'meeting'...")
@click.option("--by", default="", help="Who recorded it.")
@click.option("--at", "at_text", default=None, help="When it was given (YYYY-MM-DD[THH:MM]).")
@pass_kith
def record(kith: KithContext, round_id: str, contact_id: str, answer: str, source: str,
           by: str, at_text: str | None) -> None:
    """Record an answer given another way (a call, a meeting, a paper form)."""
    at = parse_moment(at_text) if at_text else None
    vault = kith.unlock()
    intros = Introductions(vault)
    raw_round = intros.resolve(round_id)
    contact = vault.contacts.resolve(contact_id)
    stored = intros.record(raw_round, contact, answer, source=source, by=by, at=at)
    click.echo(f"recorded: {stored.answer} (source {safe(stored.source)}, {when(stored.at)})",
               err=True)


@introduce.command(name="withdraw")
@click.argument("contact_id", metavar="CONTACT")
@click.option("--source", required=True, help="How the withdrawal came.")
@click.option("--by", default="", help="Who recorded it.")
@pass_kith
def withdraw(kith: KithContext, contact_id: str, source: str, by: str) -> None:
    """No more introductions for this person, in any round, until a new YES."""
    vault = kith.unlock()
    Introductions(vault).withdraw(vault.contacts.resolve(contact_id), source=source, by=by)
    click.echo("withdrawn from introductions", err=True)


def _status(intros: Introductions, raw: bytes, unconfirmed: int) -> dict[str, int]:
    found = intros.get(raw)
    deliveries = Outbox.of(intros.vault).deliveries(bytes.fromhex(found.message))
    answers = intros.answers(raw)
    withdrawn = intros.withdrawn()
    accepted = intros.accepted(raw)
    return {
        "invited": sum(1 for d in deliveries if d.state == "sent"),
        "yes": sum(1 for a in answers.values() if a.answer == "yes"),
        "no": sum(1 for a in answers.values() if a.answer == "no"),
        "no_answer": sum(1 for d in deliveries if d.state == "sent"
                         and d.contact not in answers) - unconfirmed,
        "unconfirmed_yes": unconfirmed,
        "withdrawn": sum(1 for a in answers.values() if a.contact.hex() in withdrawn),
        "may_connect": len(accepted),
        "connected": sum(1 for a, _ in accepted if a.introduced),
    }


@introduce.command(name="status")
@click.argument("round_id", metavar="ROUND")
@json_option
@pass_kith
def status(kith: KithContext, round_id: str, as_json: bool) -> None:
    """Read replies to the invitation, then show the round as counts."""
    intros = Introductions(kith.unlock())
    raw = intros.resolve(round_id)
    _, unconfirmed = intros.collect(raw)
    data = _status(intros, raw, unconfirmed)
    if as_json:
        emit_json(data)
        return
    click.echo(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()))


@introduce.command(name="connect")
@click.argument("round_id", metavar="ROUND")
@click.option("--segment", default=None,
              help="Also put the people who said YES in this segment (created if needed), "
                   "e.g. to share with a local organizer: `kith segment share`.")
@json_option
@pass_kith
def connect(kith: KithContext, round_id: str, segment: str | None, as_json: bool) -> None:
    """Send each person who said YES the others' details (and nobody else's)."""
    vault = kith.unlock()
    intros = Introductions(vault)
    raw = intros.resolve(round_id)
    _, unconfirmed = intros.collect(raw)
    if unconfirmed:
        click.echo(f"note: {unconfirmed} email YES without a reference to the invitation: "
                   "confirm with the person, then `kith introduce record`", err=True)
    found = intros.get(raw)
    transport, rate, unsubscribe = _transport(vault, found.channel)
    footer = ("To stop these emails, reply STOP" + (f", or visit {unsubscribe}" if unsubscribe
                                                    else "") + ".")
    outcome = Connector(vault, raw, transport, per_minute=rate, footer=footer).run()
    grouped = 0
    if segment is not None:
        try:
            target = vault.segments.find(segment)
        except NoSuchSegment:
            target = vault.segments.create(segment)
        grouped = vault.segments.add(target, [a.contact for a, _ in intros.accepted(raw)])
    data = {"accepted": outcome.accepted, "sent": outcome.sent, "failed": outcome.failed,
            "deferred": outcome.deferred, "up_to_date": outcome.up_to_date,
            "added_to_segment": grouped}
    if as_json:
        emit_json(data)
        return
    if outcome.accepted < 2:
        click.echo("fewer than two people said YES: nobody was put in touch", err=True)
    click.echo(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()))


@introduce.command(name="list")
@json_option
@pass_kith
def list_rounds(kith: KithContext, as_json: bool) -> None:
    """Every introduction round, newest first."""
    found = Introductions(kith.unlock()).rounds()
    if as_json:
        emit_json([r.to_json() for r in found])
        return
    rows = [(short_id(r.id), when(r.created), r.channel, r.kind, ",".join(r.share),
             short_id(r.message)) for r in found]
    click.echo("\n".join(table(rows, ("ROUND", "CREATED", "CHANNEL", "KIND", "SHARE",
                                      "INVITATION"))))
