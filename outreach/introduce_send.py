"""Connecting the people who said YES: each receives the others' chosen details, privately.

For each accepted person P (``Introductions.accepted``), in name order:

    new = the other accepted people whose details P has not been sent yet
    nothing new, or fewer than two accepted in all: skip
    record P's introduced list as if sent                      (committed)
    one message to P alone, listing the new people's details
    on success: log the interaction (summary "introduction", no names)
    on refusal: take the record back

Rules and reasons:
- Only accepted people are named, and only to other accepted people: the list each message
  carries is built from ``accepted`` and nothing else. A person who declined, never answered,
  withdrew, or sent STOP after YES is not in it, so cannot be named.
- One message per person, ``To:`` that person only (the outreach transports do this): nobody
  sees the others' addresses in headers.
- People who accept later are introduced by running ``connect`` again: they receive everyone,
  and those already connected receive only the newcomers.
- At most once, like email outreach: the record is written before the transport call, so a
  crash in between, or a connection lost mid-message, leaves a gap (an organizer can pass the
  details on), never a duplicate. A refusal, a temporary refusal or an unreachable server
  (nothing left) takes the record back, so the next run tries again.
- Interaction summaries and command output carry counts, never another person's details.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from outreach.audience import load_contacts
from outreach.compose import SMS_FOOTER, Rendered
from outreach.email_out import Deferred, Refused, TransportDown, Unreachable
from outreach.introduce import Answer, Introductions, Round, describe_share
from outreach.sender import RateLimiter, Transport
from vault import ids
from vault.domain.interactions import make_draft
from vault.errors import TransportFailed

if TYPE_CHECKING:
    from vault import Vault
    from vault.domain.model import Contact

SUBJECT = "Supporters near you who said YES"


@dataclass
class ConnectOutcome:
    """What one ``connect`` run did (counts only)."""

    accepted: int = 0
    sent: int = 0
    failed: int = 0
    deferred: int = 0
    up_to_date: int = 0


def details(contact: Contact, share: tuple[str, ...]) -> str:
    """One line of the details ``share`` names (name, email, phone), for the list."""
    parts = [contact.display_name()]
    if "email" in share and contact.emails:
        parts.append(contact.emails[0].value)
    if "phone" in share:
        phone = next((p.value for p in contact.phones if p.valid), "")
        if phone:
            parts.append(phone)
    return " - ".join(parts)


def render(found: Round, person: Contact, others: list[Contact], footer: str) -> Rendered:
    """The message to ``person``: the new people's details, and what was shared of them."""
    lines = [details(c, found.share) for c in others]
    what = describe_share(found.share)
    if found.channel == "sms":
        text = "Supporters near you who also said YES: " + "; ".join(lines) + (
            f". They have your {what} too. {SMS_FOOTER}")
        return Rendered("", text, "")
    hello = person.given_name or "friend"
    text = (f"Hello {hello},\n\nYou said YES to meeting other supporters near you. These "
            f"people said YES too:\n\n" + "\n".join(f"  {line}" for line in lines) +
            f"\n\nThey are being sent your {what} in the same way. Only people who said YES "
            f"are on this list.\n\n{footer}\n")
    return Rendered(SUBJECT, text, "")


class Connector:
    """Runs one ``connect`` over a round."""

    def __init__(self, vault: Vault, round_id: bytes, transport: Transport, *,
                 per_minute: int, footer: str = "",
                 now: Callable[[], float] = time.time,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.vault = vault
        self.intros = Introductions(vault)
        self.round_id = round_id
        self.round = self.intros.get(round_id)
        self.transport = transport
        self.limiter = RateLimiter(per_minute, clock, sleep)
        self.footer = footer or "To stop these emails, reply STOP."
        self.now = now

    def run(self) -> ConnectOutcome:
        """Connect everyone accepted (module rules)."""
        accepted = self.intros.accepted(self.round_id)
        outcome = ConnectOutcome(accepted=len(accepted))
        if len(accepted) < 2:
            return outcome
        contacts = load_contacts(self.vault, [ids.full(a.contact) for a, _ in accepted])
        everyone = [ids.full(a.contact) for a, _ in accepted]
        try:
            for answer, address in accepted:
                self._one(answer, address, everyone, contacts, outcome)
        finally:
            self.transport.close()
        return outcome

    def _one(self, answer: Answer, address: str, everyone: list[str],
             contacts: dict[str, Contact], outcome: ConnectOutcome) -> None:
        me = ids.full(answer.contact)
        new = [c for c in everyone if c != me and c not in answer.introduced and c in contacts]
        if not new:
            outcome.up_to_date += 1
            return
        rendered = render(self.round, contacts[me], [contacts[c] for c in new], self.footer)
        self.limiter.wait()
        self.intros.mark_introduced(answer.id, (*answer.introduced, *new))
        try:
            self.transport.send(rendered, address, self.transport.new_id())
        except (Refused, Deferred, Unreachable) as error:
            self.intros.mark_introduced(answer.id, answer.introduced)  # it never left
            if isinstance(error, Unreachable):
                raise TransportFailed from None
            if isinstance(error, Refused):
                outcome.failed += 1
            else:
                outcome.deferred += 1
            return
        except TransportDown:
            raise TransportFailed from None  # may have left: the record stays (at most once)
        kind = "email-sent" if self.round.channel == "email" else "sms"
        draft = make_draft(kind, int(self.now()), direction="out", summary="introduction",
                           campaign=f"introduction {self.round.id[: ids.SHORT_DIGITS]}")
        self.vault.interactions.log(answer.contact, draft)
        outcome.sent += 1
