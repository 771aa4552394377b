"""Composing a message and rendering it for one recipient.

Rules and reasons:
- Everything is checked at compose time, before the message is stored: the channel (email or
  SMS), the kind (news, campaign, events, fundraising: the kinds people consent to), the
  audience, the event, and every template (``outreach/template.py``). A message in the
  outbox can always be rendered for anyone.
- Email needs a subject; SMS has none and no HTML. The HTML alternative is optional and gets
  HTML-escaped merge values (a contact named ``<script>`` stays text).
- Every rendering ends with an opt-out line: email the unsubscribe footer from the transport
  settings (and reply STOP), SMS "Reply STOP to opt out". The sender cannot forget it, and
  STOP replies are understood by ``outreach/replies.py``.
- Rendering happens in memory, per recipient, at preview and send time; renderings are never
  stored (the outbox keeps the template, see ``outbox.py``).
"""

from __future__ import annotations

import html as html_lib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from outreach.audience import event_values, merge_values, parse_audience
from outreach.outbox import Message, Outbox
from outreach.template import Template, compile_template
from vault import ids
from vault.domain.preferences import check_message_kind
from vault.domain.values import SHORT_TEXT, clean_text
from vault.errors import InvalidInput

if TYPE_CHECKING:
    from vault import Vault
    from vault.domain.model import Contact

CHANNELS = ("email", "sms")
KIND_ALIASES = {"campaign": "campaign-alerts"}
SMS_FOOTER = "Reply STOP to opt out."
EMAIL_FOOTER = "To stop these emails, reply STOP"
ANSWER_PAGE = "Or answer on this page:"


def check_kind(text: str) -> str:
    """A message kind from the consent vocabulary (``campaign`` = ``campaign-alerts``)."""
    word = text.strip().lower()
    return check_message_kind(KIND_ALIASES.get(word, word))


def check_outreach_channel(text: str) -> str:
    """``email`` or ``sms``."""
    word = text.strip().lower()
    if word not in CHANNELS:
        raise InvalidInput("(outreach channels are email and sms)")
    return word


@dataclass(frozen=True)
class Draft:
    """What ``kith outreach new`` asks for, before checking."""

    channel: str
    kind: str
    audience: str
    body: str
    subject: str = ""
    html: str = ""
    event: str = ""


def compose(vault: Vault, draft: Draft) -> Message:
    """Check everything (module rules) and store the message; returns it."""
    channel = check_outreach_channel(draft.channel)
    kind = check_kind(draft.kind)
    subject = clean_text(draft.subject, "the subject", SHORT_TEXT)
    if any(c in subject for c in "\r\n"):
        raise InvalidInput("(the subject is one line)")
    if channel == "email" and not subject:
        raise InvalidInput("(an email needs --subject)")
    if channel == "sms" and (subject or draft.html):
        raise InvalidInput("(an SMS has no subject and no HTML part)")
    if not draft.body.strip():
        raise InvalidInput("(the message body is empty)")
    for text in (draft.body, subject, draft.html):
        compile_template(text)
    event = ids.full(vault.events.resolve(draft.event)) if draft.event else ""
    audience = parse_audience(vault, draft.audience)
    return Outbox.of(vault).create({
        "channel": channel, "kind": kind, "audience": audience, "subject": subject,
        "body": draft.body, "html": draft.html, "event": event,
    })


@dataclass(frozen=True)
class Rendered:
    """One message for one person, in memory only."""

    subject: str
    text: str
    html: str


class Renderer:
    """Templates compiled once, rendered per recipient."""

    def __init__(self, vault: Vault, message: Message, unsubscribe: str = "",
                 link: Callable[[Contact], str] | None = None) -> None:
        self.message = message
        self.link = link
        self.subject: Template = compile_template(message.subject)
        self.body: Template = compile_template(message.body)
        self.html: Template | None = compile_template(message.html) if message.html else None
        event = (vault.events.get_by_id(bytes.fromhex(message.event))
                 if message.event else None)
        self.base = event_values(event)
        if message.channel == "sms":
            self.footer = SMS_FOOTER
        else:
            self.footer = EMAIL_FOOTER + (f", or visit {unsubscribe}" if unsubscribe else "") + "."

    def empty_fields(self, contact: Contact, address: str) -> list[str]:
        """The merge fields (without a default) that would be empty for this recipient."""
        values = merge_values(contact, address, self.base)
        found: set[str] = set()
        for template in (self.subject, self.body, self.html):
            if template is not None:
                found |= template.empty_fields(values)
        return sorted(found)

    def render(self, contact: Contact, address: str) -> Rendered:
        """The message for ``contact`` at ``address``, footer included."""
        values = merge_values(contact, address, self.base)
        text = self.body.render(values).rstrip("\n")
        page = self.link(contact) if self.link is not None else ""
        if page:  # this person's own answer page: the link proves they got the message
            text += f"\n\n{ANSWER_PAGE} {page}" if self.message.channel == "email" else (
                f"\n{ANSWER_PAGE} {page}")
        text = f"{text}\n\n{self.footer}\n" if self.message.channel == "email" else (
            f"{text}\n{self.footer}")
        html = ""
        if self.html is not None:
            link_html = (f'\n<p>{ANSWER_PAGE} <a href="{html_lib.escape(page)}">'
                         f"{html_lib.escape(page)}</a></p>") if page else ""
            html = (self.html.render(values, escape=html_lib.escape) + link_html
                    + f"\n<p>{html_lib.escape(self.footer)}</p>\n")
        return Rendered(self.subject.render(values, one_line=True), text, html)
