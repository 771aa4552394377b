"""Engagement numbers for a campaign: who is new, what happened, who acted after being asked.

``engagement(...)`` counts, for the contacts in scope (all, or one segment's) and the window
``[since, now]``:

- ``contacts``: how many contacts are in scope now; ``new_contacts``: of those, how many were
  created in the window (``records.created``: no decryption);
- ``interactions``: interactions about those contacts dated in the window, by kind;
- ``attendance``: for events that started in the window, sign-ups and check-ins of contacts in
  scope; ``showed_up`` is the share of sign-ups who checked in (walk-ins count as attended but
  not in that share); ``attendees`` is how many different people came;
- ``messaged``: contacts sent an outbound message in the window (an ``email-sent``, or an
  ``sms``/``call`` not marked inbound: the reading of ``vault/domain/interactions.py``);
  ``acted``: of those, how many then *acted*, i.e. have an action (``ACTION_KINDS``: attended
  an event, signed a petition, donated) dated on or after their first message in the window.
  Dates are often typed as days, so "the same day" counts as after. ``share`` is
  ``acted / messaged`` (None when nobody was messaged).

Rules and reasons:
- Only counts leave this module, never names or texts: numbers are what a campaign reports,
  and a report should not become one more copy of the list.
- Interactions come from ``InteractionRepository.index_facts`` (kind, date, direction: the
  summaries stay sealed) and events from ``EventRepository.all``; this module only counts, so
  it takes them as plain iterables and never touches tables.
- A reply (an inbound email, SMS or call) is engagement but not an action: the question is
  whether the ask worked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from vault.domain.dates import day_of, iso
from vault.domain.events import Event
from vault.domain.interactions import InteractionFact, is_outbound_message

ACTION_KINDS = frozenset({"event-attended", "petition-signed", "donation"})


@dataclass(frozen=True)
class Attendance:
    """Sign-ups and check-ins of contacts in scope, for events that started in the window."""

    events: int = 0
    signed_up: int = 0
    attended: int = 0
    attendees: int = 0
    showed_up: int = 0

    def to_json(self) -> dict[str, Any]:
        """Counts, and the share of sign-ups who came (None with no sign-ups)."""
        return {
            "events": self.events,
            "signed_up": self.signed_up,
            "attended": self.attended,
            "attendees": self.attendees,
            "showed_up": self.showed_up,
            "share_showed_up": _share(self.showed_up, self.signed_up),
        }


@dataclass(frozen=True)
class Engagement:
    """The numbers of ``kith stats``."""

    since: int | None
    now: int
    segment: str | None
    contacts: int
    new_contacts: int
    interactions: Mapping[str, int] = field(default_factory=dict)
    attendance: Attendance = field(default_factory=Attendance)
    messaged: int = 0
    acted: int = 0

    @property
    def share(self) -> float | None:
        """The share of messaged contacts who acted afterwards (None if nobody was messaged)."""
        return _share(self.acted, self.messaged)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith stats``."""
        return {
            "segment": self.segment,
            "since": None if self.since is None else iso(day_of(self.since)),
            "until": iso(day_of(self.now)),
            "contacts": self.contacts,
            "new_contacts": self.new_contacts,
            "interactions": dict(sorted(self.interactions.items())),
            "interactions_total": sum(self.interactions.values()),
            "attendance": self.attendance.to_json(),
            "messaged": self.messaged,
            "acted_after_message": self.acted,
            "share_acted": self.share,
        }


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


def attendance(events: Iterable[Event], scope: set[str], start: int, now: int) -> Attendance:
    """Sign-ups and check-ins of ``scope`` (full hex ids) at events starting in the window."""
    count = signed = came = showed = 0
    people: set[str] = set()
    for event in events:
        if not start <= event.starts <= now:
            continue
        count += 1
        signups = {c for c in event.signups if c in scope}
        attended = {c for c in event.attended if c in scope}
        signed += len(signups)
        came += len(attended)
        showed += len(signups & attended)
        people |= attended
    return Attendance(count, signed, came, len(people), showed)


def engagement(
    contacts: Iterable[tuple[bytes, int]],
    facts: Iterable[InteractionFact],
    events: Iterable[Event],
    *,
    now: int,
    since: int | None = None,
    segment_name: str | None = None,
) -> Engagement:
    """Count engagement over ``[since, now]`` for ``contacts`` ((id, created) pairs in scope)."""
    start = since if since is not None else 0
    scope = {record_id.hex(): created for record_id, created in contacts}
    new = sum(1 for created in scope.values() if start <= created <= now)
    kinds: Counter[str] = Counter()
    first_message: dict[str, int] = {}
    actions: dict[str, list[int]] = {}
    for fact in facts:
        if fact.contact not in scope or not start <= fact.at <= now:
            continue
        kinds[fact.kind] += 1
        if is_outbound_message(fact.kind, fact.direction):
            seen = first_message.get(fact.contact)
            first_message[fact.contact] = fact.at if seen is None else min(seen, fact.at)
        if fact.kind in ACTION_KINDS:
            actions.setdefault(fact.contact, []).append(fact.at)
    acted = sum(
        1
        for contact, sent in first_message.items()
        if any(at >= sent for at in actions.get(contact, ()))
    )
    return Engagement(
        since=since,
        now=now,
        segment=segment_name,
        contacts=len(scope),
        new_contacts=new,
        interactions=dict(kinds),
        attendance=attendance(events, set(scope), start, now),
        messaged=len(first_message),
        acted=acted,
    )
