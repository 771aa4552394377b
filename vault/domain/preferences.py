"""Communication preferences and consent: who may be reached, how, about what, how often.

One sealed record of type ``preferences`` per contact, linked ``preferences --preferences-->
contact`` with ``dependent=True`` (shredding the contact shreds its preferences and consent
log). Sealed fields: ``rules`` (JSON object, rule -> allowed), ``max_frequency``,
``do_not_contact`` and ``consent`` (JSON list of provenance entries).

Rules and reasons:
- Opt-in: with nothing recorded, nothing is allowed. Consent is something a person gave, at a
  time, in a way someone can show; a vault that assumed it would put the people in it at risk
  and the organization in breach of data-protection law.
- A rule is ``CHANNEL`` (every kind of message on that channel) or ``CHANNEL:KIND``. The most
  specific rule wins: ``--allow email --deny email:fundraising`` means "email, but never asking
  for money"; ``--deny email --allow email:events`` means "only event notices by email". Giving
  a rule again replaces it, so the latest word on that exact rule counts.
- Do-not-contact overrides every rule, and stays until cleared explicitly.
- The frequency limit is per contact across all channels: ``daily``, ``weekly`` or ``monthly``
  means at most one outbound message (see ``vault/domain/interactions.py``) per 1, 7 or 30 days,
  measured from the last one logged. People experience pestering per person, not per channel.
- Every change appends a consent entry (when, how, by whom, the text agreed to, what changed),
  so the record shows where each permission came from. Entries are never rewritten.
- ``may_contact`` answers "who may I SMS about events this week?" from the in-memory activity
  index (preferences plus the last outbound message of each contact): no per-query decryption.
  It checks consent and frequency only; whether a contact has a phone number is the caller's
  business.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from vault import ids
from vault.core.records import RecordStore
from vault.domain.values import DAY, LONG_TEXT, SHORT_TEXT, clean_text, epoch_of
from vault.errors import IntegrityError, InvalidInput, NotFound, UnknownChannel

RECORD_TYPE = "preferences"
ROLE = "preferences"
CONTACT_TYPE = "contact"
CHANNELS = ("email", "sms", "phone", "post", "in-person", "signal", "messenger")
MESSAGE_KINDS = ("news", "campaign-alerts", "events", "fundraising")
FREQUENCIES = {"daily": DAY, "weekly": 7 * DAY, "monthly": 30 * DAY}
MAX_RULES = len(CHANNELS) * (len(MESSAGE_KINDS) + 1)


def _word(text: str) -> str:
    return text.strip().lower().replace("_", "-")


def check_channel(text: str) -> str:
    """A canonical channel name, else ``UnknownChannel`` (exit 5)."""
    channel = _word(text)
    if channel not in CHANNELS:
        raise UnknownChannel
    return channel


def check_message_kind(text: str) -> str:
    """A canonical message kind, else ``UnknownChannel`` (exit 5)."""
    kind = _word(text)
    if kind not in MESSAGE_KINDS:
        raise UnknownChannel
    return kind


def parse_rule(text: str) -> str:
    """``CHANNEL`` or ``CHANNEL:KIND``, canonical (``SMS:Events`` -> ``sms:events``)."""
    channel, sep, kind = text.partition(":")
    if sep:
        return f"{check_channel(channel)}:{check_message_kind(kind)}"
    return check_channel(channel)


def check_frequency(text: str) -> str:
    """``daily``, ``weekly``, ``monthly``, or ``none`` (no limit)."""
    word = _word(text)
    if word != "none" and word not in FREQUENCIES:
        raise InvalidInput("(a frequency is daily, weekly, monthly or none)")
    return word


@dataclass(frozen=True)
class Consent:
    """One provenance entry: when, how (source), by whom, the text agreed to, what changed."""

    at: int
    source: str = ""
    by: str = ""
    text: str = ""
    changes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """JSON form (also the sealed storage form)."""
        return {"at": self.at, "source": self.source, "by": self.by, "text": self.text,
                "changes": list(self.changes)}


@dataclass(frozen=True)
class Preferences:
    """A contact's preferences; ``recorded`` is False when nothing was ever set (opt-in)."""

    contact: str
    rules: tuple[tuple[str, bool], ...] = ()
    max_frequency: str = ""
    do_not_contact: bool = False
    consent: tuple[Consent, ...] = ()
    recorded: bool = False

    def allows(self, channel: str, kind: str) -> bool:
        """Consent only (no frequency): do-not-contact, then the most specific rule, else no."""
        if self.do_not_contact:
            return False
        table = dict(self.rules)
        specific = table.get(f"{channel}:{kind}")
        return specific if specific is not None else table.get(channel, False)

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith prefs``."""
        return {
            "contact": self.contact,
            "recorded": self.recorded,
            "allow": sorted(rule for rule, ok in self.rules if ok),
            "deny": sorted(rule for rule, ok in self.rules if not ok),
            "max_frequency": self.max_frequency or None,
            "do_not_contact": self.do_not_contact,
            "consent": [c.to_json() for c in self.consent],
        }


@dataclass(frozen=True)
class PreferenceChange:
    """What one ``kith prefs`` call asks for; ``max_frequency="none"`` removes the limit."""

    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_frequency: str | None = None
    do_not_contact: bool | None = None
    consent_source: str = ""
    consent_by: str = ""
    consent_text: str = ""
    consent_at: int | None = None

    def is_empty(self) -> bool:
        """True when nothing would change (the CLI then shows instead)."""
        return not (self.allow or self.deny or self.max_frequency is not None
                    or self.do_not_contact is not None or self.consent_source
                    or self.consent_by or self.consent_text or self.consent_at is not None)


def frequency_ok(max_frequency: str, last_out: int | None, at: int) -> bool:
    """True unless an outbound message was logged less than one period before ``at``."""
    period = FREQUENCIES.get(max_frequency)
    return period is None or last_out is None or at - last_out >= period


def permitted(prefs: Preferences, last_out: int | None, channel: str, kind: str, at: int) -> bool:
    """Consent and frequency together: what ``may_contact`` asks of each contact."""
    return prefs.allows(channel, kind) and frequency_ok(prefs.max_frequency, last_out, at)


def _encode(prefs: Preferences) -> dict[str, bytes | None]:
    return {
        "rules": json.dumps(dict(prefs.rules), separators=(",", ":")).encode(),
        "max_frequency": prefs.max_frequency.encode() or None,
        "do_not_contact": b"1" if prefs.do_not_contact else None,
        "consent": json.dumps([c.to_json() for c in prefs.consent], ensure_ascii=False,
                              separators=(",", ":")).encode(),
    }


def encode_fields(prefs: Preferences) -> dict[str, bytes | None]:
    """The sealed-field values of ``prefs`` (``None`` removes a field): for merges (issue 3)."""
    return _encode(prefs)


def decode(contact: str, values: Mapping[str, bytes]) -> Preferences:
    """Preferences from opened fields; anything malformed is an ``IntegrityError``."""
    try:
        rules = json.loads(values["rules"]) if "rules" in values else {}
        consent = json.loads(values["consent"]) if "consent" in values else []
        return Preferences(
            contact=contact,
            rules=tuple(sorted((str(k), bool(v)) for k, v in rules.items())),
            max_frequency=values.get("max_frequency", b"").decode(),
            do_not_contact=values.get("do_not_contact") == b"1",
            consent=tuple(
                Consent(int(c["at"]), str(c["source"]), str(c["by"]), str(c["text"]),
                        tuple(str(x) for x in c["changes"]))
                for c in consent
            ),
            recorded=True,
        )
    except (ValueError, TypeError, KeyError, AttributeError, UnicodeDecodeError):
        raise IntegrityError("(a preferences field is malformed)") from None


def apply(prefs: Preferences, change: PreferenceChange, now: int) -> Preferences:
    """The preferences after ``change``, with one consent entry describing it."""
    allow = tuple(dict.fromkeys(parse_rule(r) for r in change.allow))
    deny = tuple(dict.fromkeys(parse_rule(r) for r in change.deny))
    if set(allow) & set(deny):
        raise InvalidInput("(the same rule cannot be both allowed and denied)")
    table = dict(prefs.rules)
    table.update({rule: True for rule in allow})
    table.update({rule: False for rule in deny})
    changes = [f"allow {r}" for r in allow] + [f"deny {r}" for r in deny]
    frequency = prefs.max_frequency
    if change.max_frequency is not None:
        word = check_frequency(change.max_frequency)
        frequency = "" if word == "none" else word
        changes.append(f"max-frequency {word}")
    dnc = prefs.do_not_contact
    if change.do_not_contact is not None:
        dnc = change.do_not_contact
        changes.append("do-not-contact " + ("on" if dnc else "off"))
    entry = Consent(
        at=now if change.consent_at is None else change.consent_at,
        source=clean_text(change.consent_source, "the consent source", SHORT_TEXT),
        by=clean_text(change.consent_by, "who recorded the consent", SHORT_TEXT),
        text=clean_text(change.consent_text, "the consent text", LONG_TEXT),
        changes=tuple(changes),
    )
    return Preferences(prefs.contact, tuple(sorted(table.items())), frequency, dnc,
                       (*prefs.consent, entry), recorded=True)


class PreferencesListener(Protocol):
    """The activity index as preferences see it (``ActivityCache`` is one): told of writes,
    asked who may be contacted."""

    def preferences_set(self, prefs: Preferences, *, created: bool) -> None:
        """One contact's preferences were written: update a built index in place."""

    def clear(self) -> None:
        """Forget the index: the next reader rebuilds it."""

    def may_contact(self, channel: str, kind: str, at: int) -> list[str]:
        """Full ids of the contacts who may receive ``kind`` on ``channel`` at ``at``."""
        ...


class PreferenceRepository:
    """Preferences stored as sealed records, one per contact."""

    def __init__(
        self, records: RecordStore, home_segment: bytes, cache: PreferencesListener | None = None
    ) -> None:
        self.records = records
        self.home_segment = home_segment
        self.cache = cache

    def _record_of(self, contact_id: bytes) -> bytes | None:
        if self.records.type_of(contact_id) != CONTACT_TYPE:
            raise NotFound("(no contact with that id)")
        found = [r for r in self.records.linked_to(contact_id, ROLE)
                 if self.records.type_of(r) == RECORD_TYPE]
        return found[0] if found else None

    def get(self, contact_id: bytes) -> Preferences:
        """The contact's preferences; an empty, unrecorded one (nothing allowed) if none."""
        record_id = self._record_of(contact_id)
        if record_id is None:
            return Preferences(ids.full(contact_id))
        return decode(ids.full(contact_id), self.records.get(record_id).fields)

    def change(self, contact_id: bytes, change: PreferenceChange, *, now: int) -> Preferences:
        """Apply ``change`` (validated first: nothing is written if any part is invalid)."""
        record_id = self._record_of(contact_id)
        current = (Preferences(ids.full(contact_id)) if record_id is None
                   else decode(ids.full(contact_id), self.records.get(record_id).fields))
        updated = apply(current, change, now)
        values = _encode(updated)
        created = record_id is None
        with self.records.store.transaction():
            if record_id is None:
                stored = {k: v for k, v in values.items() if v is not None}
                record_id = self.records.create(RECORD_TYPE, stored, self.home_segment)
                self.records.link(record_id, contact_id, ROLE, dependent=True)
            else:
                self.records.update(record_id, values)
        if self.cache:
            self.cache.preferences_set(updated, created=created)
        return updated

    def add_many(self, items: list[tuple[bytes, Preferences]]) -> list[bytes]:
        """Store preferences for contacts that have none, in one transaction (imports, benchmarks).

        Refused whole (``InvalidInput``) if any contact already has preferences: merging consent
        logs is a decision for a person, not a bulk path.
        """
        for contact_id, _ in items:
            if self._record_of(contact_id) is not None:
                raise InvalidInput("(that contact already has preferences)")
        with self.records.store.transaction():
            made = self.records.create_many(
                RECORD_TYPE,
                ({k: v for k, v in _encode(p).items() if v is not None} for _, p in items),
                self.home_segment,
            )
            for record_id, (contact_id, _) in zip(made, items, strict=True):
                self.records.link(record_id, contact_id, ROLE, dependent=True)
        if self.cache:
            self.cache.clear()
        return made

    def all(self) -> Iterator[Preferences]:
        """Every recorded preferences record, opened and verified (for the activity index)."""
        owner = dict(self.records.links_of_type(RECORD_TYPE, ROLE))
        for record in self.records.iter_type(RECORD_TYPE):
            contact = owner.get(record.id)
            if contact is not None:
                yield decode(ids.full(contact), record.fields)

    def may_contact(self, channel: str, kind: str, *, at: datetime | None = None) -> list[str]:
        """Full ids of the contacts who may receive a ``kind`` message on ``channel`` at ``at``.

        ``at`` defaults to now; a naive datetime is UTC. Honours channel and kind rules (most
        specific wins), do-not-contact, and the frequency limit against the interaction log.
        Sorted by contact name. Answered from the activity index (built on first use).
        """
        channel, kind = check_channel(channel), check_message_kind(kind)
        if self.cache is None:
            raise InvalidInput("(may_contact needs the vault's activity index)")
        moment = epoch_of(at) if at is not None else int(time.time())
        return self.cache.may_contact(channel, kind, moment)

