"""Where intake meets outreach: poll answers and introduction YESes from ``kith intake pull``,
and automatic SMS replies sent through outreach's SMS gateway.

``intake`` and ``outreach`` are independent packages (``tui -> (outreach | intake) -> vault``);
the CLI joins them here, inside the pull's own transaction (``intake.pull.pull(within=...)``),
so an item is acknowledged on the relay only once everything it led to is committed.
"""

from __future__ import annotations

from collections.abc import Callable

from intake.apply import Outcome
from intake.forms import Form
from intake.replies import ReplyOutcome, pending, send_replies
from outreach.compose import Rendered
from outreach.config import OutreachConfig
from outreach.email_out import Deferred, Refused, TransportDown, Unreachable
from outreach.polls import record_answers
from outreach.sms_gateway import SmsGateway
from vault import Vault
from vault.errors import NotFound


def after_pull(vault: Vault, form: Form) -> Callable[[Outcome], None]:
    """The ``within`` hook of one pull of ``form``."""

    def within(outcome: Outcome) -> None:
        if outcome.poll_answers:
            record_answers(vault, [(a.sender, a.word, a.at) for a in outcome.poll_answers])

    return within


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
