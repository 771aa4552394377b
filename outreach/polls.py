"""SMS poll answers counted against the message they answer (``kith outreach report``).

    record_answers(vault, [(sender, word, at), ...])   # from ``kith intake pull``

A poll answer arrives as an SMS through an intake form's webhook (``intake/apply.py``: A/B/C or
words the organizer defined with ``--poll``). It is attributed to the latest SMS delivery that
was *sent* to that number before the answer's time (give or take ``SKEW``), and stored on
that delivery (sealed, field ``poll``); ``outreach/report.py`` counts the words per message.

Rules and reasons:
- Matched by number, as SMS replies are (``replies.py``: SMS has no threads). Numbers are
  compared as digits with a leading ``+``.
- One word per person and message, the newest wins: someone who answers A then B counts once,
  for B, so the counts add up to people, not to texts.
- An answer that matches no sent SMS is still in the form's tallies (``kith intake show``), and
  counted nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from outreach.outbox import Delivery, Outbox

if TYPE_CHECKING:
    from vault import Vault

MAX_WORD = 32
SKEW = 600
"""Seconds an answer may seem to predate the SMS it answers: its time is the phone's clock
(the gateway's ``receivedAt``), the sending time is this machine's."""


def _norm(number: str) -> str:
    digits = re.sub(r"\D", "", number)
    return "+" + digits if digits else ""


def record_answers(vault: Vault, answers: Iterable[tuple[str, str, int]]) -> int:
    """Store each (sender, word, at) on the delivery it answers; returns how many matched."""
    outbox = Outbox.of(vault)
    sms = {bytes.fromhex(m.id) for m in outbox.messages() if m.channel == "sms"}
    by_number: dict[str, list[Delivery]] = {}
    for item in outbox.deliveries():
        if item.message in sms and item.state == "sent" and item.sent_at is not None:
            by_number.setdefault(_norm(item.address), []).append(item)
    matched = 0
    for sender, word, at in answers:
        sent = [d for d in by_number.get(_norm(sender), []) if (d.sent_at or 0) <= at + SKEW]
        if not sent or not _norm(sender):
            continue
        latest = max(sent, key=lambda d: d.sent_at or 0)
        outbox.update(latest.id, poll=word[:MAX_WORD])
        matched += 1
    return matched
