"""Where intake meets outreach: poll answers and introduction YESes from ``kith intake pull``,
and automatic SMS replies sent through outreach's SMS gateway.

``intake`` and ``outreach`` are independent packages (``tui -> (outreach | intake) -> vault``);
the CLI joins them here, inside the pull's own transaction (``intake.pull.pull(within=...)``),
so an item is acknowledged on the relay only once everything it led to is committed.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from intake.apply import Outcome
from intake.forms import Form, all_forms, answer_code
from intake.replies import ReplyOutcome, pending, send_replies
from outreach.compose import Rendered
from outreach.config import OutreachConfig
from outreach.email_out import Deferred, Refused, TransportDown, Unreachable
from outreach.introduce import Introductions
from outreach.outbox import Outbox
from outreach.polls import record_answers
from outreach.sms_gateway import SmsGateway
from vault import Vault
from vault.domain.model import Contact
from vault.errors import NotFound


def after_pull(vault: Vault, form: Form) -> Callable[[Outcome], None]:
    """The ``within`` hook of one pull of ``form``."""

    def within(outcome: Outcome) -> None:
        if outcome.poll_answers:
            record_answers(vault, [(a.sender, a.word, a.at) for a in outcome.poll_answers])
        if form.introduction and outcome.intro_yes:
            _introduction_yes(vault, form, outcome)

    return within


def _introduction_yes(vault: Vault, form: Form, outcome: Outcome) -> None:
    """Record each YES ticked on an introduction's form, as an email or SMS YES is recorded.

    The YES counts for the invitee whose own link carried the code (``answer_code``): the
    code proves they received the invitation, as a reply's reference to the invitation's
    Message-ID does. A YES without a valid code (the page opened without the link, or
    someone answering in another's name) is counted as unconfirmed and recorded for nobody:
    anyone can type another person's email address into a form.
    """
    intros = Introductions(vault)
    round_id = bytes.fromhex(form.introduction)
    try:
        found = intros.get(round_id)
    except NotFound:  # the round (or its invitation) was deleted since
        outcome.intro_unconfirmed += len(outcome.intro_yes)
        return
    invited = {d.contact for d in Outbox.of(vault).deliveries(bytes.fromhex(found.message))}
    codes = {answer_code(form, contact): contact for contact in invited}
    now = int(time.time())
    for yes in outcome.intro_yes:
        contact = codes.get(yes.ref) if yes.ref else None
        if contact is None:
            outcome.intro_unconfirmed += 1
            continue
        intros.record(round_id, contact, "yes", source=f"web form {form.name}",
                      by="kith intake", at=min(yes.at, now), now=now)
        outcome.intro_accepted += 1


def answer_link(vault: Vault, round_id: str) -> Callable[[Contact], str] | None:
    """Each invitee's own link to the round's intake form, if a form was made for it."""
    made = [f for f in all_forms(vault) if f.introduction == round_id and f.relay]
    if not made:
        return None
    form = made[0]
    return lambda contact: (f"{form.relay}/f/{form.form_id}"
                            f"#i={answer_code(form, bytes.fromhex(contact.id))}")


class GatewayTexter:
    """``intake.replies.Texter`` over the configured SMS Gateway for Android."""

    def __init__(self, gateway: SmsGateway) -> None:
        self.gateway = gateway

    def send(self, number: str, text: str, message_id: str) -> str:
        """One reply to one number (states as ``Texter.send``)."""
        try:
            self.gateway.send(Rendered("", text, ""), number, message_id)
        except Refused:
            return "refused"
        except (Unreachable, Deferred):
            return "down"
        except TransportDown:  # may have left: ask the phone about our id
            known = self.check(message_id)
            return "sent" if known else "down" if known is False else "uncertain"
        return "sent"

    def check(self, message_id: str) -> bool | None:
        """Whether the phone has the message with our id."""
        try:
            return self.gateway.reconcile(message_id)
        except TransportDown:
            return None


def flush_replies(vault: Vault, *, required: bool) -> ReplyOutcome | None:
    """Send the queued automatic SMS replies through the configured gateway.

    None when nothing waits, or (unless ``required``) when no SMS gateway is configured.
    """
    if not required and not pending(vault):
        return None
    try:
        settings = OutreachConfig.of(vault).sms()
    except NotFound:
        if required:
            raise
        return None
    return send_replies(vault, GatewayTexter(SmsGateway(settings)))
