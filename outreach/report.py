"""The report of one message: what happened to it, as counts and rates.

    recipients   deliveries frozen at the first send
    sent         reached the server or phone           rate: sent / recipients
    failed       refused by the transport
    uncertain    interrupted mid-send, not resent (see sender.py)
    skipped      consent withdrawn before its turn
    queued       not yet tried
    replied      at least one matched reply            rate: replied / sent
    opted_out    replied STOP                          rate: opted_out / sent
    answered     poll answers (yes / no counts)
    poll         SMS poll answers (A/B/C or the organizer's words) that came through an intake
                 form, per word, one per recipient (``outreach/polls.py``)
    acted        took an action after the message: an ``ACTION_KINDS`` interaction dated after
                 it was sent (event attended, petition signed, donation, meeting, custom)

Rules and reasons: rates are over *sent* (people who could have reacted), except the sent rate
itself; a rate with nothing to divide by is reported as 0.0, never as an error. "Acted" reads
the in-memory activity index (latest interaction of each kind per contact), so a report costs
no decryption beyond the deliveries of this message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from outreach.outbox import Outbox

if TYPE_CHECKING:
    from vault import Vault

ACTION_KINDS = ("event-attended", "petition-signed", "donation", "meeting", "custom")
STATE_COUNTS = ("sent", "failed", "uncertain", "skipped", "queued")


@dataclass(frozen=True)
class Report:
    """Counts for one message."""

    message: str
    channel: str
    kind: str
    recipients: int
    counts: dict[str, int]
    poll: dict[str, int] = field(default_factory=dict)

    def rate(self, name: str) -> float:
        """A rate as in the module docstring, rounded to 3 places."""
        base = self.recipients if name == "sent" else self.counts["sent"]
        return round(self.counts[name] / base, 3) if base else 0.0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith outreach report``."""
        return {
            "message": self.message, "channel": self.channel, "kind": self.kind,
            "recipients": self.recipients, **self.counts,
            "rates": {n: self.rate(n) for n in ("sent", "replied", "opted_out", "acted")},
            "poll": dict(sorted(self.poll.items())),
        }


def report(vault: Vault, message_id: bytes) -> Report:
    """The report of one message (module rules)."""
    outbox = Outbox.of(vault)
    message = outbox.get(message_id)
    deliveries = outbox.deliveries(message_id)
    counts = {name: 0 for name in STATE_COUNTS}
    counts.update({"replied": 0, "opted_out": 0, "acted": 0, "answered_yes": 0,
                   "answered_no": 0})
    latest = vault.activity_index().last_kind
    poll: dict[str, int] = {}
    for item in deliveries:
        if item.poll:
            poll[item.poll] = poll.get(item.poll, 0) + 1
        state = "queued" if item.state == "sending" else item.state
        counts[state] = counts.get(state, 0) + 1
        if item.replies:
            counts["replied"] += 1
        if item.opted_out:
            counts["opted_out"] += 1
        if item.answer in ("yes", "no"):
            counts[f"answered_{item.answer}"] += 1
        if item.state == "sent" and item.sent_at is not None:
            cid = item.contact.hex()
            if any(latest.get(kind, {}).get(cid, -1) > item.sent_at for kind in ACTION_KINDS):
                counts["acted"] += 1
    return Report(message.id, message.channel, message.kind, len(deliveries), counts, poll)
