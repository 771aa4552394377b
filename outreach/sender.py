"""The send loop: freeze the audience, then deliver one recipient at a time, resumably.

For each recipient, in order::

    wait for the rate limit
    record state=sending with the Message-ID chosen now      (committed)
    one transport call (SMTP transaction / gateway POST)
    record state=sent, sent_at, and log the interaction       (one commit)

Rules and reasons (the resume contract):
- The audience is resolved and frozen into ``queued`` deliveries at the first ``send`` (one
  transaction): a resumed send works through the same list.
- A recipient still ``queued`` was never attempted: it is sent exactly once by the next run.
- A recipient found in ``sending`` was interrupted mid-call. Email is **at-most-once**: SMTP
  cannot tell whether the server took the message, so it becomes ``uncertain`` and is NOT
  resent (a duplicate to an organizer's contacts is worse than a gap, and the Message-ID is on
  record to check the server's logs); ``kith outreach send --retry-uncertain`` resends those
  deliberately (at-least-once, the user's call). SMS asks the phone (``GET /message/ID``):
  known means ``sent``, unknown (404) means safe to send again, so SMS resumes exactly once.
- Consent is checked again at each recipient's turn: a STOP that arrived since the freeze
  wins (``skipped`` with the reason). The frequency limit is checked against every other
  message, not against this one.
- Every sent message is an interaction on the contact (``email-sent`` or outbound ``sms``,
  campaign ``outreach <short id>``, summary the subject), written in the same commit as
  ``sent``: history and outbox can never disagree.
- Recipients are sent to in the order ``preview`` lists them (contact name order).
- The rate limiter takes an injectable clock and sleep, so tests neither wait nor race.
- ``run(stop=...)`` is asked before each recipient and again after the rate-limit wait: once
  it says yes, nothing more is attempted and the rest stays ``queued`` (the TUI's Stop key; a
  later ``run`` resumes with exactly those). A transport call already started is finished and
  recorded first, so stopping never leaves a ``sending`` (uncertain) delivery behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from outreach.audience import load_contacts, resolve
from outreach.compose import Rendered, Renderer
from outreach.email_out import Deferred, Refused, TransportDown, Unreachable
from outreach.outbox import Delivery, Message, Outbox
from vault import ids
from vault.domain.interactions import make_draft
from vault.domain.model import Contact
from vault.domain.preferences import frequency_ok
from vault.errors import TransportFailed

if TYPE_CHECKING:
    from vault import Vault


class Transport(Protocol):
    """What the loop needs of email and SMS alike."""

    channel: str

    def new_id(self) -> str: ...
    def send(self, rendered: Rendered, address: str, message_id: str) -> str: ...
    def reconcile(self, message_id: str) -> bool | None: ...
    def close(self) -> None: ...


class RateLimiter:
    """At most ``per_minute`` calls per minute, evenly spaced; the first one is immediate."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.interval = 60.0 / per_minute
        self.clock = clock
        self.sleep = sleep
        self.next_at: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed."""
        now = self.clock()
        if self.next_at is not None and self.next_at > now:
            self.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@dataclass
class SendOutcome:
    """What one ``send`` run did (counts over this run) and what is left."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0
    uncertain: int = 0
    deferred: int = 0
    frozen_now: int = 0
    notes: list[str] = field(default_factory=list)
    stopped: bool = False
    """True when ``stop`` ended the run before every recipient was tried."""


def campaign_of(message: Message) -> str:
    """The interaction campaign of a message (``campaign:"outreach ID"`` finds them)."""
    return f"outreach {message.id[: ids.SHORT_DIGITS]}"


class Sender:
    """Runs the loop for one message."""

    def __init__(self, vault: Vault, message_id: bytes, transport: Transport, *,
                 per_minute: int, unsubscribe: str = "",
                 now: Callable[[], float] = time.time,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep,
                 link: Callable[[Contact], str] | None = None) -> None:
        self.vault = vault
        self.link = link  # a per-recipient answer page (an introduction's intake form)
        self.outbox = Outbox.of(vault)
        self.message_id = message_id
        self.message = self.outbox.get(message_id)
        self.transport = transport
        self.limiter = RateLimiter(per_minute, clock, sleep)
        self.unsubscribe = unsubscribe
        self.now = now

    def freeze(self, outcome: SendOutcome) -> None:
        """Resolve the audience and queue its recipients, once."""
        if self.message.frozen:
            return
        found = resolve(self.vault, self.message.audience, self.message.channel,
                        self.message.kind, int(self.now()))
        self.outbox.freeze(self.message_id, [(bytes.fromhex(r.contact.id), r.address)
                                             for r in found.recipients])
        outcome.frozen_now = len(found.recipients)
        self.message = self.outbox.get(self.message_id)

    def _settle_interrupted(
        self, deliveries: list[Delivery], outcome: SendOutcome
    ) -> list[Delivery]:
        """Decide what each ``sending`` delivery became (module rules)."""
        out: list[Delivery] = []
        for item in deliveries:
            if item.state != "sending":
                out.append(item)
                continue
            left = self.transport.reconcile(item.message_id) if item.message_id else False
            if left is True:
                self._mark_sent(item)
                outcome.notes.append("an interrupted message had reached the gateway")
                out.append(_with_state(item, "sent"))
            elif left is False:
                self.outbox.update(item.id, state="queued", message_id="")
                out.append(_with_state(item, "queued"))
            else:
                self.outbox.update(item.id, state="uncertain")
                outcome.uncertain += 1
                out.append(_with_state(item, "uncertain"))
        return out

    def _consent_reason(self, contact: str) -> str:
        index = self.vault.activity_index()
        prefs = index.prefs.get(contact)
        if prefs is None or not prefs.allows(self.message.channel, self.message.kind):
            return "consent withdrawn"
        if not frequency_ok(prefs.max_frequency, index.last_out.get(contact), int(self.now())):
            return f"frequency limit ({prefs.max_frequency})"
        return ""

    def _mark_sent(self, item: Delivery, subject: str = "") -> None:
        at = int(self.now())
        kind = "email-sent" if self.message.channel == "email" else "sms"
        draft = make_draft(kind, at, direction="out",
                           summary=subject or self.message.subject or "SMS",
                           campaign=campaign_of(self.message))
        with self.vault.live_store.transaction():
            self.outbox.update(item.id, state="sent", sent_at=at)
            self.vault.interactions.log(item.contact, draft)

    def run(self, *, retry_uncertain: bool = False,
            progress: Callable[[int, int], None] | None = None,
            stop: Callable[[], bool] | None = None) -> SendOutcome:
        """Freeze if needed, settle interrupted sends, then deliver what is left (until
        ``stop()`` says yes, if given: module rules)."""
        outcome = SendOutcome()
        self.freeze(outcome)
        deliveries = self._settle_interrupted(self.outbox.deliveries(self.message_id), outcome)
        wanted = {"queued", "uncertain"} if retry_uncertain else {"queued"}
        todo = [d for d in deliveries if d.state in wanted]
        if retry_uncertain:
            outcome.uncertain = 0
        if not todo:
            return outcome
        rank = self.vault.activity_index().rank()
        todo.sort(key=lambda d: (rank.get(d.contact.hex(), len(rank)), d.contact))
        contacts = load_contacts(self.vault, [ids.full(d.contact) for d in todo])
        renderer = Renderer(self.vault, self.message, self.unsubscribe, link=self.link)
        try:
            for done, item in enumerate(todo, 1):
                if stop is not None and stop():
                    outcome.stopped = True
                    break
                self._deliver(item, contacts, renderer, outcome, stop)
                if outcome.stopped:
                    break
                if progress is not None:
                    progress(done, len(todo))
        finally:
            self.transport.close()
        return outcome

    def _deliver(self, item: Delivery, contacts: dict[str, Contact], renderer: Renderer,
                 outcome: SendOutcome, stop: Callable[[], bool] | None = None) -> None:
        contact = contacts.get(ids.full(item.contact))
        reason = self._consent_reason(ids.full(item.contact))
        if contact is None or reason:
            self.outbox.update(item.id, state="skipped", reason=reason or "contact deleted")
            outcome.skipped += 1
            return
        rendered = renderer.render(contact, item.address)
        self.limiter.wait()
        if stop is not None and stop():  # stopped during the wait: this one stays queued
            outcome.stopped = True
            return
        message_id = self.transport.new_id()
        self.outbox.update(item.id, state="sending", message_id=message_id, error="")
        try:
            recorded = self.transport.send(rendered, item.address, message_id)
        except Refused as error:
            self.outbox.update(item.id, state="failed", error=str(error))
            outcome.failed += 1
            return
        except Deferred as error:
            self.outbox.update(item.id, state="queued", message_id="", error=str(error))
            outcome.deferred += 1
            return
        except Unreachable:
            self.outbox.update(item.id, state="queued", message_id="")
            raise TransportFailed from None
        except TransportDown:
            self.outbox.update(item.id, state="uncertain")
            outcome.uncertain += 1
            raise TransportFailed from None
        if recorded != message_id:
            self.outbox.update(item.id, message_id=recorded)
        self._mark_sent(item, rendered.subject)
        outcome.sent += 1


def _with_state(item: Delivery, state: str) -> Delivery:
    from dataclasses import replace

    return replace(item, state=state)
