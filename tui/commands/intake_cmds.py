"""``kith intake``: sign-up forms whose answers only the organizers can read.

    kith intake create NAME [--title T] [--field name --field email ...] [--required name]
                      [--consent RULES=LABEL ...] [--max-frequency weekly] [--tag TAG]
                      [--relay relay:URL] [--sms] [--poll WORD ...] [--introduction ROUND]
    kith intake pull NAME [--json]          sign-ups waiting on the relay -> contacts
    kith intake kiosk NAME [--listen H:P]   the same form on this machine, straight into the vault
    kith intake list [--json] | kith intake show NAME [--json] | kith intake publish NAME
    kith intake reply NAME join|stop|poll [TEXT]   automatic SMS reply (no TEXT: none)
    kith intake send-replies [--json]       send queued replies now (else: next outreach send)

The form's secret key stays in the vault; the relay gets the public definition only.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from intake import forms
from intake import replies as auto_replies
from intake.apply import Outcome
from intake.forms import Form
from intake.pull import pull as pull_items
from outreach.introduce import Introductions, describe_share
from sync.transports.relay import RelayClient, parse_address
from tui.commands.intake_glue import after_pull, flush_replies
from tui.context import KithContext, pass_kith
from tui.output import emit_json
from tui.safe_text import safe
from vault.errors import InvalidInput

FORM_FIELDS = click.Choice(list(forms.FIELDS))
INTERNAL = ("contacts", "poll_answers", "intro_yes")  # not counts: kept out of the line


def _publish(form: Form) -> None:
    with RelayClient(form.relay) as client:
        client.put_form(bytes.fromhex(form.form_id), bytes.fromhex(form.owner_token), {
            "mailbox": form.mailbox, "sms": form.sms_secret or None,
            "definition": form.definition(),
        })


def _urls(form: Form) -> dict[str, Any]:
    base = form.relay
    return {
        "name": form.name, "form": f"{base}/f/{form.form_id}" if base else None,
        "sms_webhook": f"{base}/sms/{form.form_id}/{form.sms_secret}"
        if base and form.sms_secret else None,
        "fields": form.fields, "consents": [c.label for c in form.consents],
        "poll": dict(form.tallies),
        "replies": dict(sorted(form.reply_texts.items())),
        "replies_waiting": sum(1 for i in form.outgoing if i["state"] in ("queued", "sending")),
    }


@click.group(name="intake")
def intake_group() -> None:
    """Sign-up forms and SMS keywords, sealed to your key (docs/relay.md)."""


@intake_group.command(name="create")
@click.argument("name")
@click.option("--title", default="", help="Heading of the page (default: NAME).")
@click.option("--intro", default="", help="A sentence under the heading.")
@click.option("--field", "fields", type=FORM_FIELDS, multiple=True,
              help="A field to ask (repeat; default name, email, phone).")
@click.option("--required", type=FORM_FIELDS, multiple=True, help="A field that must be filled.")
@click.option("--consent", "consents", multiple=True,
              help="A consent checkbox RULES=LABEL, e.g. 'email:events=Email me about events'.")
@click.option("--max-frequency", default="", help="daily|weekly|monthly for ticked choices.")
@click.option("--tag", default="", help="Tag every contact who signs up.")
@click.option("--relay", "relay", default=None, help="relay:URL that serves the form.")
@click.option("--sms", is_flag=True, help="Also accept SMS (prints the webhook URL).")
@click.option("--poll", "poll", multiple=True, help="A poll answer word for SMS (repeat).")
@click.option("--introduction", "round_id", default=None, metavar="ROUND",
              help="Make it the answer page of an introduction round: a YES ticked there is "
                   "recorded on the round (each invitee's link carries their code).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def create(kith: KithContext, name: str, title: str, intro: str, fields: tuple[str, ...],
           required: tuple[str, ...], consents: tuple[str, ...], max_frequency: str, tag: str,
           relay: str | None, sms: bool, poll: tuple[str, ...], round_id: str | None,
           as_json: bool) -> None:
    """Make a sign-up form (and publish it to a relay)."""
    base = parse_address(relay) if relay else ""
    if sms and not base:
        raise InvalidInput("(--sms needs --relay: the relay receives the SMS webhook)")
    if round_id is not None and not base:
        raise InvalidInput("(--introduction needs --relay: invitees answer on the relay)")
    vault = kith.unlock()
    introduction, yes_label = "", ""
    if round_id is not None:
        intros = Introductions(vault)
        found = intros.get(intros.resolve(round_id))
        introduction = found.id
        yes_label = (f"Yes: share my {describe_share(found.share)} with the supporters near "
                     "me who also say yes")
    form = forms.create(
        vault, name, title=title, intro=intro, fields=fields or ("name", "email", "phone"),
        required=required or ("name",),
        consents=[forms.parse_choice(i, c) for i, c in enumerate(consents)],
        frequency=max_frequency, tag=tag, relay=base, sms=sms, poll=poll,
        introduction=introduction, yes_label=yes_label,
    )
    if base:
        _publish(form)
    if as_json:
        emit_json(_urls(form))
        return
    click.echo(f"created form {safe(form.name)}", err=True)
    urls = _urls(form)
    if urls["form"]:
        click.echo(urls["form"])
    if urls["sms_webhook"]:
        click.echo("SMS webhook (keep it secret: it lets anyone post SMS to this form):",
                   err=True)
        click.echo(urls["sms_webhook"])


def _print(outcome: Outcome, as_json: bool) -> None:
    data = {k: v for k, v in outcome.__dict__.items() if k not in INTERNAL}
    if as_json:
        emit_json({**data, "contacts": outcome.contacts})
        return
    click.echo(f"added {outcome.added}, merged {outcome.merged}, refused {outcome.refused}; "
               f"SMS: joined {outcome.joined}, stopped {outcome.stopped}, "
               f"answers {sum(outcome.answers.values())}, other {outcome.other}", err=True)
    if outcome.intro_accepted or outcome.intro_unconfirmed:
        click.echo(f"introduction: yes {outcome.intro_accepted}, unconfirmed yes "
                   f"{outcome.intro_unconfirmed} (not from an invitee's own link: confirm "
                   "with the person, then `kith introduce record`)", err=True)


@intake_group.command(name="publish")
@click.argument("name")
@pass_kith
def publish(kith: KithContext, name: str) -> None:
    """Publish a form to its relay again (after the relay was down, or its data was lost)."""
    form = forms.find(kith.unlock(), name)
    if not form.relay:
        raise InvalidInput("(this form has no relay: it is for `kith intake kiosk`)")
    _publish(form)
    click.echo(_urls(form)["form"])


@intake_group.command(name="pull")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def pull(kith: KithContext, name: str, as_json: bool) -> None:
    """Import the sign-ups waiting on the relay; the relay then deletes them."""
    vault = kith.unlock()
    form = forms.find(vault, name)
    if not form.relay:
        raise InvalidInput("(this form has no relay: it is for `kith intake kiosk`)")
    with RelayClient(form.relay) as client:
        _print(pull_items(vault, form, client, after_pull(vault, form)), as_json)


@intake_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def list_forms(kith: KithContext, as_json: bool) -> None:
    """List intake forms and where they are served."""
    rows = [_urls(f) for f in forms.all_forms(kith.unlock())]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{safe(row['name'])}  {row['form'] or '(kiosk only)'}")


@intake_group.command(name="show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def show(kith: KithContext, name: str, as_json: bool) -> None:
    """Show a form's addresses and its SMS poll tallies."""
    row = _urls(forms.find(kith.unlock(), name))
    if as_json:
        emit_json(row)
        return
    for key, value in row.items():
        click.echo(f"{key}: {safe(str(value))}")


@intake_group.command(name="kiosk")
@click.argument("name")
@click.option("--listen", default="127.0.0.1:8090", show_default=True,
              help="Address for the browser at the door (port 0 picks one).")
@click.option("--max-submissions", type=click.IntRange(min=1), default=None, hidden=True)
@pass_kith
def kiosk(kith: KithContext, name: str, listen: str, max_submissions: int | None) -> None:
    """Serve the form on this machine; each sign-up lands in the vault at once."""
    from relay.app import build_app, token_hash
    from relay.config import Limits
    from relay.local import LocalInbox
    from relay.server import Background
    from relay.storage import SqliteStorage

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter("use HOST:PORT", param_hint="--listen")
    vault = kith.unlock()
    form = forms.find(vault, name)
    store = SqliteStorage(":memory:")  # nothing on disk: sealed items wait in memory only
    store.put_form(bytes.fromhex(form.form_id), token_hash(bytes.fromhex(form.owner_token)),
                   bytes.fromhex(form.mailbox), None,
                   forms.json.dumps(form.definition()).encode(), int(time.time()))
    server = Background(build_app(store, Limits()), host.strip("[]"), int(port))
    click.echo(f"kiosk at http://{host}:{server.port}/f/{form.form_id}")
    sys.stdout.flush()
    taken = 0
    try:
        while max_submissions is None or taken < max_submissions:
            outcome = pull_items(vault, form, LocalInbox(store), after_pull(vault, form))
            got = len(outcome.contacts) + outcome.refused
            if got:
                taken += got
                click.echo(f"signed up {len(outcome.contacts)} (total {taken})", err=True)
            time.sleep(0.3)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        store.close()


@intake_group.command(name="reply")
@click.argument("name")
@click.argument("keyword", type=click.Choice(list(auto_replies.KINDS)))
@click.argument("text", required=False, default="")
@pass_kith
def reply(kith: KithContext, name: str, keyword: str, text: str) -> None:
    """Set the automatic SMS reply to JOIN, STOP or a poll answer (no TEXT removes it)."""
    vault = kith.unlock()
    form = forms.find(vault, name)
    auto_replies.set_text(form, keyword, text)
    forms.save(vault, form)
    click.echo(f"{keyword} replies are {'set' if text.strip() else 'off'} for "
               f"{safe(form.name)}; they go out with the next `kith outreach send` or "
               "`kith intake send-replies`", err=True)


@intake_group.command(name="send-replies")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def send_replies(kith: KithContext, as_json: bool) -> None:
    """Send the queued automatic SMS replies now, through the configured SMS gateway."""
    outcome = flush_replies(kith.unlock(), required=True)
    assert outcome is not None  # required: a missing gateway raised
    print_replies(outcome, as_json)


def print_replies(outcome: auto_replies.ReplyOutcome, as_json: bool) -> None:
    """The counts of one sending run of automatic replies."""
    data = dict(outcome.__dict__)
    if as_json:
        emit_json(data)
        return
    click.echo("automatic SMS replies: " + ", ".join(f"{k} {v}" for k, v in data.items()),
               err=True)
