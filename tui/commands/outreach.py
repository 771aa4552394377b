"""Outreach commands (issue 8): targeted email and SMS that respect each person's preferences.

    kith outreach config email --host H --port P --from ADDR [--security starttls|tls|none]
                               [--user U --password-file F] [--rate N] [--unsubscribe URI]
                               [--ca-file PEM]
    kith outreach config sms --url http://PHONE:8080 [--user U --password-file F] [--rate N]
                             [--sim N]
    kith outreach config show [--json]
    kith outreach new --channel email|sms --kind news|campaign|events|fundraising
                      --audience segment:NAME|saved:NAME|ID,ID... [--subject S] --body-file F
                      [--html-file F] [--event ID]          # the new id on the last line
    kith outreach list [--json]
    kith outreach delete MSG [--yes]
    kith outreach preview MSG [--json]
    kith outreach send MSG [--retry-uncertain]
    kith outreach report MSG [--json]
    kith outreach replies import FILE [--json]             # mbox file or Maildir folder
    kith outreach sms-inbox FILE [--json]                  # sms:received webhook payloads
    kith outreach paper labels|letters ...                 # PDF (tui/commands/outreach_paper.py)

Passwords come from files, never argv. Results go to stdout, progress to stderr; every
contact-supplied string is printed through ``safe_text.safe``.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from outreach import config as cfg
from outreach.audience import resolve
from outreach.compose import Draft, Renderer, compose
from outreach.outbox import Message, Outbox
from outreach.replies import ImportOutcome, ReplyImporter, read_mailbox, read_sms_webhooks
from outreach.report import report
from outreach.sender import Sender, Transport
from tui.commands.intake_cmds import print_replies
from tui.commands.intake_glue import flush_replies
from tui.commands.outreach_paper import paper
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json, short_id, table, when
from tui.passphrase import PassphraseSource
from tui.safe_text import safe
from vault import Vault
from vault.errors import InvalidInput, NotFound

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
MAX_BODY_BYTES = 256 * 1024


def _read_text(path: str, what: str) -> str:
    try:
        data = sys.stdin.buffer.read(MAX_BODY_BYTES + 1) if path == "-" else (
            Path(path).read_bytes()[: MAX_BODY_BYTES + 1])
        if len(data) > MAX_BODY_BYTES:
            raise InvalidInput(f"({what} is larger than 256 KiB)")
        return data.decode("utf-8")
    except OSError:
        raise InvalidInput(f"(cannot read {what})") from None
    except UnicodeDecodeError:
        raise InvalidInput(f"({what} is not UTF-8 text)") from None


def _password(file: str | None, user: str) -> str:
    if file is None:
        return ""
    if not user:
        raise InvalidInput("(give both --user and --password-file, or neither)")
    return PassphraseSource(file).read()


def _outbox(vault: Vault) -> Outbox:
    return Outbox.of(vault)


@click.group()
def outreach() -> None:
    """Targeted email and SMS that respect each person's consent (docs/outreach.md)."""


@outreach.group(name="config")
def config_group() -> None:
    """Set up the email (SMTP) and SMS (your phone's gateway) transports."""


@config_group.command(name="email")
@click.option("--host", required=True, help="SMTP server host name.")
@click.option("--port", required=True, type=int, help="SMTP port (587 STARTTLS, 465 TLS).")
@click.option("--from", "sender", required=True, help="The From address.")
@click.option("--security", type=click.Choice(cfg.SECURITY), default="starttls",
              show_default=True, help="none is plain SMTP: only for a relay on this machine.")
@click.option("--user", default="", help="SMTP login.")
@click.option("--password-file", default=None, help="File holding the SMTP password.")
@click.option("--rate", type=int, default=cfg.DEFAULT_RATE, show_default=True,
              help="Messages per minute.")
@click.option("--unsubscribe", default="", help="mailto: or https:// address for opting out.")
@click.option("--ca-file", default=None, help="PEM CA certificate of a self-hosted server.")
@pass_kith
def config_email(kith: KithContext, host: str, port: int, sender: str, security: str, user: str,
                 password_file: str | None, rate: int, unsubscribe: str,
                 ca_file: str | None) -> None:
    """Store the SMTP settings (sealed in the vault, password included)."""
    settings = cfg.email_settings(host, port, sender, security, user=user,
                                  password=_password(password_file, user), rate=rate,
                                  unsubscribe=unsubscribe,
                                  ca_pem=_read_text(ca_file, "the CA file") if ca_file else "")
    vault = kith.unlock()
    cfg.OutreachConfig.of(vault).set_email(settings)
    click.echo("email transport saved", err=True)


@config_group.command(name="sms")
@click.option("--url", required=True, help="The phone's local server, e.g. http://192.168.1.5:8080.")
@click.option("--user", default="", help="Local server user name (shown in the app).")
@click.option("--password-file", default=None, help="File holding the local server password.")
@click.option("--rate", type=int, default=cfg.DEFAULT_RATE, show_default=True,
              help="Messages per minute.")
@click.option("--sim", type=int, default=None, help="SIM slot (1-3) on dual-SIM phones.")
@pass_kith
def config_sms(kith: KithContext, url: str, user: str, password_file: str | None, rate: int,
               sim: int | None) -> None:
    """Store the SMS Gateway for Android settings (sealed in the vault)."""
    settings = cfg.sms_settings(url, user=user, password=_password(password_file, user),
                                rate=rate, sim=sim)
    vault = kith.unlock()
    cfg.OutreachConfig.of(vault).set_sms(settings)
    click.echo("sms transport saved", err=True)


@config_group.command(name="show")
@json_option
@pass_kith
def config_show(kith: KithContext, as_json: bool) -> None:
    """Show the transport settings (never the passwords)."""
    vault = kith.unlock()
    store = cfg.OutreachConfig.of(vault)
    found: dict[str, Any] = {}
    for name, getter in (("email", store.email), ("sms", store.sms)):
        try:
            found[name] = getter().public()
        except NotFound:
            found[name] = None
    if as_json:
        emit_json(found)
        return
    for name, data in found.items():
        click.echo(f"{name}: " + ("not configured" if data is None else
                                  ", ".join(f"{k}={safe(str(v))}" for k, v in data.items())))


@outreach.command(name="new")
@click.option("--channel", required=True, type=click.Choice(["email", "sms"]))
@click.option("--kind", required=True,
              type=click.Choice(["news", "campaign", "campaign-alerts", "events", "fundraising"]))
@click.option("--audience", required=True, help="segment:NAME, saved:NAME or ID,ID,...")
@click.option("--subject", default="", help="Email subject (merge fields allowed).")
@click.option("--body-file", required=True, help="Plain-text body template ('-' = stdin).")
@click.option("--html-file", default=None, help="Optional HTML alternative (email only).")
@click.option("--event", "event_id", default=None, help="Event whose details fill {event_*}.")
@json_option
@pass_kith
def new(kith: KithContext, channel: str, kind: str, audience: str, subject: str, body_file: str,
        html_file: str | None, event_id: str | None, as_json: bool) -> None:
    """Compose a message into the outbox (works offline); prints its id on the last line."""
    draft = Draft(channel, kind, audience, _read_text(body_file, "the body file"), subject,
                  _read_text(html_file, "the HTML file") if html_file else "", event_id or "")
    message = compose(kith.unlock(), draft)
    if as_json:
        emit_json(message.to_json())
        return
    click.echo(f"queued {message.channel} ({message.kind}) for {safe(message.audience)}",
               err=True)
    click.echo(short_id(message.id))


@outreach.command(name="list")
@json_option
@pass_kith
def list_messages(kith: KithContext, as_json: bool) -> None:
    """List composed messages, newest first."""
    found = _outbox(kith.unlock()).messages()
    if as_json:
        emit_json([m.to_json() for m in found])
        return
    rows = [(short_id(m.id), when(m.created), m.channel, m.kind, m.subject,
             "frozen" if m.frozen else "draft") for m in found]
    click.echo("\n".join(table(rows, ("ID", "CREATED", "CHANNEL", "KIND", "SUBJECT", "STATE"))))


@outreach.command(name="delete")
@click.argument("message_id", metavar="MSG")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_kith
def delete_message(kith: KithContext, message_id: str, yes: bool) -> None:
    """Crypto-shred MSG and its delivery records (the contacts' history keeps what was sent)."""
    vault = kith.unlock()
    outbox = _outbox(vault)
    raw = outbox.resolve(message_id)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        if not click.confirm(f"Delete outreach message {short_id(raw.hex())}?", err=True):
            raise Cancelled
    count = outbox.delete(raw)
    click.echo(f"deleted message {short_id(raw.hex())} ({count - 1} delivery record(s))",
               err=True)


def _unsubscribe(vault: Vault, message: Message) -> str:
    if message.channel != "email":
        return ""
    try:
        return cfg.OutreachConfig.of(vault).email().unsubscribe
    except NotFound:  # not configured yet: preview still works offline
        return ""


@outreach.command()
@click.argument("message_id", metavar="MSG")
@json_option
@pass_kith
def preview(kith: KithContext, message_id: str, as_json: bool) -> None:
    """Who will receive MSG, who is excluded and why, and one rendered sample."""
    vault = kith.unlock()
    outbox = _outbox(vault)
    message = outbox.get(outbox.resolve(message_id))
    found = resolve(vault, message.audience, message.channel, message.kind, int(time.time()))
    sample = None
    renderer = Renderer(vault, message, _unsubscribe(vault, message))
    empty = {r.contact.id: renderer.empty_fields(r.contact, r.address) for r in found.recipients}
    if found.recipients:
        first = found.recipients[0]
        rendered = renderer.render(first.contact, first.address)
        sample = {"to": first.address, "subject": rendered.subject, "text": rendered.text,
                  "html": rendered.html}
    if as_json:
        emit_json({
            "message": message.to_json(),
            "recipients": [{"id": r.contact.id, "name": r.contact.display_name(),
                            "address": r.address, "empty_fields": empty[r.contact.id]}
                           for r in found.recipients],
            "excluded": [{"id": e.contact.id, "name": e.contact.display_name(),
                          "reason": e.reason} for e in found.excluded],
            "sample": sample,
        })
        return
    click.echo(f"message {short_id(message.id)}: {message.channel}, {message.kind}, "
               f"audience {safe(message.audience)}")
    if message.frozen:
        click.echo("(already sent once: `send` works through the list frozen then)")
    click.echo(f"recipients ({len(found.recipients)}):")
    click.echo("\n".join(table([(short_id(r.contact.id), r.contact.display_name(), r.address)
                                for r in found.recipients], ("ID", "NAME", "ADDRESS"))))
    flagged = [r for r in found.recipients if empty[r.contact.id]]
    if flagged:  # "Hello , join us.": give a default ({given_name|friend}) or fill them in
        click.echo(f"empty merge fields ({len(flagged)}):")
        click.echo("\n".join(table([(short_id(r.contact.id), r.contact.display_name(),
                                     ", ".join(empty[r.contact.id])) for r in flagged],
                                   ("ID", "NAME", "EMPTY"))))
    click.echo(f"excluded ({len(found.excluded)}):")
    click.echo("\n".join(table([(short_id(e.contact.id), e.contact.display_name(), e.reason)
                                for e in found.excluded], ("ID", "NAME", "REASON"))))
    if sample is None:
        click.echo("no recipient: nothing to render")
        return
    click.echo(f"--- sample for {safe(sample['to'])} ---")
    if sample["subject"]:
        click.echo(f"Subject: {safe(sample['subject'])}")
    for line in sample["text"].splitlines():
        click.echo(safe(line))


def _transport(vault: Vault, channel: str) -> tuple[Transport, int, str]:
    from outreach.email_out import SmtpTransport
    from outreach.sms_gateway import SmsGateway

    store = cfg.OutreachConfig.of(vault)
    if channel == "email":
        email = store.email()
        return SmtpTransport(email), email.rate, email.unsubscribe
    sms = store.sms()
    return SmsGateway(sms), sms.rate, ""


@outreach.command()
@click.argument("message_id", metavar="MSG")
@click.option("--retry-uncertain", is_flag=True,
              help="Also resend messages interrupted mid-send (may send them twice).")
@json_option
@pass_kith
def send(kith: KithContext, message_id: str, retry_uncertain: bool, as_json: bool) -> None:
    """Send MSG to everyone who may receive it; resumes where an interrupted send stopped."""
    vault = kith.unlock()
    outbox = _outbox(vault)
    raw = outbox.resolve(message_id)
    transport, rate, unsubscribe = _transport(vault, outbox.get(raw).channel)

    def progress(done: int, total: int) -> None:
        click.echo(f"\rsending {done}/{total}", err=True, nl=done == total)

    outcome = Sender(vault, raw, transport, per_minute=rate, unsubscribe=unsubscribe).run(
        retry_uncertain=retry_uncertain, progress=progress)
    data = {"sent": outcome.sent, "failed": outcome.failed, "skipped": outcome.skipped,
            "uncertain": outcome.uncertain, "deferred": outcome.deferred}
    replied = flush_replies(vault, required=False)  # intake's automatic SMS replies (issue 16)
    if replied is not None and not as_json:
        print_replies(replied, False)
    if as_json:
        emit_json(data)
        return
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    click.echo(", ".join(f"{k} {v}" for k, v in data.items()))


@outreach.command(name="report")
@click.argument("message_id", metavar="MSG")
@json_option
@pass_kith
def report_cmd(kith: KithContext, message_id: str, as_json: bool) -> None:
    """Sent, failed, replied, opted out and acted for MSG, as counts and rates."""
    vault = kith.unlock()
    found = report(vault, _outbox(vault).resolve(message_id))
    if as_json:
        emit_json(found.to_json())
        return
    click.echo(f"message {short_id(found.message)}: {found.channel}, {found.kind}, "
               f"{found.recipients} recipient(s)")
    for name, value in found.counts.items():
        rate = f"  ({found.rate(name):.1%})" if name in ("sent", "replied", "opted_out",
                                                          "acted") else ""
        click.echo(f"  {name.replace('_', ' '):<13} {value}{rate}")
    if found.poll:  # SMS poll answers that came through an intake form (kith intake pull)
        click.echo(f"  {'poll':<13} " + ", ".join(f"{safe(w)} {n}" for w, n in
                                                  sorted(found.poll.items())))


def _print_import(outcome: ImportOutcome, as_json: bool) -> None:
    data = {"read": outcome.read, "matched": outcome.matched, "unmatched": outcome.unmatched,
            "duplicates": outcome.duplicates, "opted_out": outcome.opted_out,
            "opted_in": outcome.opted_in, "answers": outcome.answers}
    if as_json:
        emit_json(data)
    else:
        click.echo(", ".join(f"{k.replace('_', ' ')} {v}" for k, v in data.items()))


@outreach.group()
def replies() -> None:
    """Import replies to sent messages."""


@replies.command(name="import")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, path_type=Path))
@json_option
@pass_kith
def replies_import(kith: KithContext, path: Path, as_json: bool) -> None:
    """Import email replies from an mbox file or a Maildir folder (read only)."""
    vault = kith.unlock()
    _print_import(ReplyImporter(vault).apply(read_mailbox(path)), as_json)


@outreach.command(name="sms-inbox")
@click.argument("path", metavar="FILE", type=click.Path(exists=True, dir_okay=False,
                                                          path_type=Path))
@json_option
@pass_kith
def sms_inbox(kith: KithContext, path: Path, as_json: bool) -> None:
    """Import incoming SMS from a JSON file of the gateway's sms:received webhook payloads."""
    vault = kith.unlock()
    _print_import(ReplyImporter(vault).apply(read_sms_webhooks(path)), as_json)



outreach.add_command(paper)
