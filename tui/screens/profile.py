"""Everything the contact screen shows beyond the contact's own fields, gathered from the vault
and drawn as plain `rich` renderables. No Textual here, so it is tested directly.

    load_profile(vault, contact)    -> Profile (preferences, relations, target, history, events)
    safety_lines(profile, now)      -> Text: do-not-contact, consent, frequency (shown first)
    organizing_table(profile)       -> Table: segments, tags, relationships, stance, events
    history_table(profile, page)    -> Table: one page of interactions, newest first

Rules and reasons:
- Whether a person may be contacted is shown before anything else and cannot be scrolled away:
  a person who asked not to be contacted must never look like anyone else (CiviCRM puts
  "Do not email/phone" at the top for the same reason). Do-not-contact and "no consent
  recorded" are full-width, bold lines that read the same without colour.
- Consent is shown per channel and kind as the vault decides it (`Preferences.allows`: the most
  specific rule wins, do-not-contact overrides), never re-derived here; each consent entry
  keeps its provenance (when, how, by whom, what changed).
- The frequency limit is shown with the last outbound message and when the next one is
  allowed, using the vault's own `frequency_ok` and `is_outbound_message`.
- Every value is user text through `tui.safe_text.safe`, drawn as `Text`, never as markup.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text

from tui.safe_text import safe
from vault.api import Vault
from vault.domain.events import ATTENDED, SIGNUP, Event
from vault.domain.interactions import Interaction, is_outbound_message
from vault.domain.model import Contact
from vault.domain.preferences import (
    CHANNELS,
    FREQUENCIES,
    MESSAGE_KINDS,
    Preferences,
    frequency_ok,
)
from vault.domain.relationships import Relation
from vault.domain.targets import Target
from vault.errors import NotFound

__all__ = [
    "PAGE_SIZE",
    "Profile",
    "history_table",
    "load_profile",
    "organizing_table",
    "page_count",
    "safety_lines",
]

PAGE_SIZE = 10
"""Interactions per page of the history."""
LABEL_WIDTH = 14
KIND_SHORT = {"news": "news", "campaign-alerts": "alerts", "events": "events",
              "fundraising": "funds"}  # fmt: skip


@dataclass(frozen=True)
class Profile:
    """One contact with what the vault knows around it."""

    contact: Contact
    prefs: Preferences
    relations: tuple[Relation, ...]
    target: Target | None
    history: tuple[Interaction, ...]
    attended: tuple[Event, ...]
    signed_up: tuple[Event, ...]

    @property
    def short_id(self) -> str:
        """The id the CLI accepts (`kith show ID`)."""
        return self.contact.id[:12]

    @property
    def last_outbound(self) -> int | None:
        """When the last outbound message (what the frequency limit counts) was logged."""
        times = [i.at for i in self.history if is_outbound_message(i.kind, i.direction)]
        return max(times) if times else None


def _events(vault: Vault, contact_id: bytes, role: str) -> tuple[Event, ...]:
    found = []
    for event_id in vault.records.links_from(contact_id, role):
        try:
            found.append(vault.events.get_by_id(event_id))
        except NotFound:
            continue
    return tuple(sorted(found, key=lambda e: (-e.starts, e.name, e.id)))


def load_profile(vault: Vault, contact: Contact) -> Profile:
    """Read the contact's preferences, relationships, target, history and events."""
    raw = bytes.fromhex(contact.id)
    try:
        target: Target | None = vault.targets.get(raw)
    except NotFound:
        target = None
    return Profile(
        contact=contact,
        prefs=vault.preferences.get(raw),
        relations=tuple(vault.relationships.relations(raw)),
        target=target,
        history=tuple(vault.interactions.history(raw)),
        attended=_events(vault, raw, ATTENDED),
        signed_up=_events(vault, raw, SIGNUP),
    )


def day(epoch: int) -> str:
    """A UTC date."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def minute(epoch: int) -> str:
    """A UTC date and time, to the minute."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M")


# -- may this person be contacted ------------------------------------------------------------


def consent_rows(prefs: Preferences) -> list[tuple[str, list[tuple[str, bool]]]]:
    """For every channel that has a rule: (channel, [(kind, allowed)]), in the vault's order."""
    ruled = {rule.partition(":")[0] for rule, _ in prefs.rules}
    return [
        (channel, [(kind, prefs.allows(channel, kind)) for kind in MESSAGE_KINDS])
        for channel in CHANNELS
        if channel in ruled
    ]


def frequency_line(prefs: Preferences, last_out: int | None, now: int) -> str:
    """The frequency limit, the last outbound message, and when the next one is allowed."""
    limit = prefs.max_frequency
    last = f"last message sent {day(last_out)}" if last_out else "no message sent yet"
    if not limit or limit == "none":
        return f"Frequency: no limit ({last})."
    if frequency_ok(limit, last_out, now):
        return f"Frequency: at most one message {limit} ({last}; one may be sent now)."
    assert last_out is not None  # frequency_ok only refuses after a message
    allowed = last_out + FREQUENCIES[limit]
    return f"Frequency: at most one message {limit} ({last}; LIMIT REACHED until {day(allowed)})."


def safety_lines(profile: Profile, now: int) -> Text:
    """The lines shown above everything else on the contact screen."""
    prefs = profile.prefs
    out = Text(end="")
    if prefs.do_not_contact:
        out.append(" DO NOT CONTACT: this person asked not to be contacted, on any channel. ",
                   style="bold reverse red")  # fmt: skip
        out.append("\n")
    elif not prefs.recorded:
        out.append(" NO CONSENT RECORDED: may not be contacted on any channel (opt-in). ",
                   style="bold reverse yellow")  # fmt: skip
        out.append("\n")
    rows = consent_rows(prefs)
    if rows:
        out.append("Consent:", style="bold")
        for n, (channel, kinds) in enumerate(rows):
            allowed = [KIND_SHORT[k] for k, ok in kinds if ok]
            what = "all" if len(allowed) == len(kinds) else ",".join(allowed) or "none"
            out.append(f"{';' if n else ''} {channel} ")
            out.append(what, style="bold" if allowed else "dim")
        out.append("\n")
    elif prefs.recorded and not prefs.do_not_contact:
        out.append("Consent: ", style="bold")
        out.append("no channel allowed yet.\n")
    if prefs.recorded:
        out.append(frequency_line(prefs, profile.last_outbound, now))
        if prefs.consent:
            latest = prefs.consent[-1]
            source = ", ".join(x for x in (latest.source, f"by {latest.by}" if latest.by else "")
                               if x)  # fmt: skip
            told = safe(source) or "source not given"
            out.append(f"\nLast consent change {day(latest.at)}: {told}"
                       f" ({len(prefs.consent)} in all, below).")  # fmt: skip
    out.rstrip()
    return out


# -- organizing -------------------------------------------------------------------------------


def _cell(values: list[str]) -> Text:
    present = [safe(v) for v in values if v]
    if not present:
        return Text("-", style="dim", end="")
    return Text("\n".join(present), end="")


def organizing_table(profile: Profile) -> Table:
    """Relationships, target stance, events, consent provenance (segments and tags are with the
    contact's fields)."""
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=LABEL_WIDTH, style="bold", no_wrap=True)
    grid.add_column(ratio=1)
    target = profile.target
    stance = []
    if target is not None:
        where = f" ({target.institution})" if target.institution else ""
        stance = [f"{target.stance_label}{where}"]
    consent = []
    for entry in reversed(profile.prefs.consent):  # newest first
        source = ", ".join(x for x in (entry.source, f"by {entry.by}" if entry.by else "") if x)
        changes = "; ".join(entry.changes) or "no change"
        consent.append(f"{day(entry.at)}  {source or 'source not given'}: {changes}")
        if entry.text:
            consent.append(f"  agreed to: {entry.text}")
    rows: list[tuple[str, list[str]]] = [
        ("Relationships", [f"{r.label} {r.other_name} ({r.other_id[:12]})"
                           for r in profile.relations]),
        ("Target stance", stance),
        ("Attended", [f"{day(e.starts)}  {e.name}" for e in profile.attended]),
        ("Signed up", [f"{day(e.starts)}  {e.name}" for e in profile.signed_up]),
        ("Consent log", consent),
    ]  # fmt: skip
    for label, values in rows:
        grid.add_row(Text(label, end=""), _cell(values))
    return grid


# -- history ----------------------------------------------------------------------------------


def page_count(profile: Profile) -> int:
    """How many pages the history has (at least one, even when empty)."""
    return max(1, math.ceil(len(profile.history) / PAGE_SIZE))


def history_title(profile: Profile, page: int) -> str:
    """The history's heading: how many, in which order, which page."""
    count = len(profile.history)
    noun = "interaction" if count == 1 else "interactions"
    return f"History: {count} {noun}, newest first (page {page + 1} of {page_count(profile)})"


def history_table(profile: Profile, page: int) -> Table | Text:
    """One page (`page` counts from 0) of the history, newest first."""
    items = profile.history[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]
    if not items:
        return Text("Nothing logged yet: press l to log a call, a meeting, a donation...",
                    style="dim", end="")  # fmt: skip
    grid = Table.grid(padding=(0, 1), expand=True)
    grid.add_column(width=16, no_wrap=True)
    grid.add_column(width=15, no_wrap=True)
    grid.add_column(ratio=1)
    for item in items:
        kind = item.label or item.kind
        if item.direction:
            kind += f" ({item.direction})"
        detail = item.summary
        if item.amount:
            detail = f"{item.amount} {item.currency} {detail}".strip()
        extra = [f"{name}: {value}" for name, value in
                 (("outcome", item.outcome), ("campaign", item.campaign)) if value]  # fmt: skip
        text = Text(safe(detail) or "-", end="")
        if extra:
            text.append("  " + safe(" · ".join(extra)), style="dim")
        grid.add_row(Text(minute(item.at), end=""), Text(safe(kind), end=""), text)
    return grid
