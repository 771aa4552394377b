"""Interactions: the activity log of a contact (emails, calls, meetings, petitions, donations).

An interaction is a sealed record of type ``interaction``. Every value is its own sealed field:
``kind``, ``at`` (UTC epoch seconds as decimal text), ``direction``, ``summary``, ``outcome``,
``campaign``, ``label`` (the name of a ``custom`` kind), ``amount`` and ``currency``. Empty values
are not stored. Links (plaintext inside the encrypted database, see ``vault/core/schema.py``):

    interaction --about-->  contact   dependent: shredding the contact shreds its history
    interaction --event-->  event     not dependent: deleting an event keeps the history

Rules and reasons:
- Kinds are a closed list (``KINDS``); anything else is ``UnknownKind`` (exit 5), so a filter
  such as ``logged:call:30d`` can never silently miss a misspelt ``cal``. ``custom`` plus a
  ``label`` covers the rest (door knock, house meeting).
- ``email-sent`` is always outbound and ``email-received`` inbound; a contradicting
  ``direction`` is refused rather than stored as nonsense.
- A donation must carry an amount and a currency, and only a donation may: money recorded on a
  phone call would be counted by no report and trusted by nobody.
- An *outbound message* (``email-sent``, or ``sms``/``call`` not marked inbound) is what the
  frequency limit of ``vault/domain/preferences.py`` counts; *contacted* (a saved-search word) is an
  outbound message or a ``meeting``. A call or SMS with no direction counts as outbound: the
  safe reading for a do-not-pester limit.
- Writing here updates the in-memory activity index if it is built, so a saved search run in
  the same session sees the new entry without decrypting everything again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from vault import ids
from vault.core.records import Record, RecordStore
from vault.domain.values import SHORT_TEXT, clean_text, parse_amount, parse_currency
from vault.errors import IntegrityError, InvalidInput, NotFound, UnknownKind

RECORD_TYPE = "interaction"
ABOUT = "about"
EVENT_ROLE = "event"
CONTACT_TYPE = "contact"
EVENT_TYPE = "event"

KINDS = (
    "email-sent",
    "email-received",
    "call",
    "sms",
    "meeting",
    "event-attended",
    "petition-signed",
    "donation",
    "note",
    "custom",
)
DIRECTIONS = ("in", "out")
OUTBOUND_MESSAGE_KINDS = frozenset({"email-sent", "sms", "call"})
CONTACT_KINDS = OUTBOUND_MESSAGE_KINDS | {"meeting"}
_FIXED_DIRECTION = {"email-sent": "out", "email-received": "in"}
TEXT_FIELDS = ("kind", "direction", "summary", "outcome", "campaign", "label", "amount", "currency")
INDEX_FIELDS = ("kind", "at", "direction", "campaign")


def check_kind(text: str) -> str:
    """The canonical kind for ``text`` (case-insensitive, ``_`` or ``-``); else ``UnknownKind``."""
    kind = text.strip().lower().replace("_", "-")
    if kind not in KINDS:
        raise UnknownKind
    return kind


def is_outbound_message(kind: str, direction: str) -> bool:
    """True for what the frequency limit counts (see the module rules)."""
    return kind in OUTBOUND_MESSAGE_KINDS and direction != "in"


def is_contact_made(kind: str, direction: str) -> bool:
    """True for what ``contacted:`` in a saved search counts."""
    return is_outbound_message(kind, direction) or kind == "meeting"


@dataclass(frozen=True)
class InteractionFact:
    """What the in-memory activity index keeps of one interaction (no summary, no amount)."""

    contact: str
    kind: str
    at: int
    direction: str
    campaign: str


@dataclass(frozen=True)
class InteractionDraft:
    """An interaction before storage, already validated by ``make_draft``."""

    kind: str
    at: int
    direction: str = ""
    summary: str = ""
    outcome: str = ""
    campaign: str = ""
    label: str = ""
    amount: str = ""
    currency: str = ""


@dataclass(frozen=True)
class Interaction(InteractionDraft):
    """A stored interaction: a draft plus its id, contact, optional event and creation time."""

    id: str = ""
    contact: str = ""
    event: str = ""
    created: int = 0

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of ``kith log`` and ``kith history``."""
        return {
            "id": self.id,
            "contact": self.contact,
            "kind": self.kind,
            "label": self.label,
            "at": self.at,
            "direction": self.direction,
            "summary": self.summary,
            "outcome": self.outcome,
            "campaign": self.campaign,
            "event": self.event or None,
            "amount": self.amount or None,
            "currency": self.currency or None,
            "created": self.created,
        }


def make_draft(
    kind: str,
    at: int,
    *,
    direction: str = "",
    summary: str = "",
    outcome: str = "",
    campaign: str = "",
    label: str = "",
    amount: str = "",
    currency: str = "",
) -> InteractionDraft:
    """Validate and normalize every rule in the module docstring; ``InvalidInput`` on failure."""
    kind = check_kind(kind)
    direction = direction.strip().lower()
    if direction and direction not in DIRECTIONS:
        raise InvalidInput("(a direction is 'in' or 'out')")
    fixed = _FIXED_DIRECTION.get(kind)
    if fixed is not None:
        if direction and direction != fixed:
            raise InvalidInput(f"({kind} is always '{fixed}')")
        direction = fixed
    label = clean_text(label, "the label", SHORT_TEXT)
    if label and kind != "custom":
        raise InvalidInput("(only a custom interaction takes a label)")
    if kind == "donation":
        if not amount or not currency:
            raise InvalidInput("(a donation needs an amount and a currency)")
        amount, currency = parse_amount(amount), parse_currency(currency)
    elif amount or currency:
        raise InvalidInput("(only a donation carries an amount and a currency)")
    return InteractionDraft(
        kind=kind,
        at=at,
        direction=direction,
        summary=clean_text(summary, "the summary"),
        outcome=clean_text(outcome, "the outcome"),
        campaign=clean_text(campaign, "the campaign", SHORT_TEXT),
        label=label,
        amount=amount,
        currency=currency,
    )


def encode(draft: InteractionDraft) -> dict[str, bytes]:
    """Sealed-field values of a draft (empty values omitted)."""
    out = {name: getattr(draft, name).encode() for name in TEXT_FIELDS if getattr(draft, name)}
    out["at"] = str(draft.at).encode()
    return out


def _decode_at(values: dict[str, bytes] | Any) -> int:
    try:
        return int(values["at"].decode("ascii"))
    except (KeyError, ValueError, UnicodeDecodeError):
        raise IntegrityError("(an interaction date is malformed)") from None


class InteractionListener(Protocol):
    """What this repository tells the in-memory activity index (``ActivityCache`` is one).

    A protocol rather than the cache's class, so the index may depend on this module and not
    the other way round (issue 15: no import circles, type-only ones included).
    """

    def interaction_logged(self, fact: InteractionFact) -> None:
        """One interaction was written: update a built index in place."""

    def clear(self) -> None:
        """Forget the index: the next reader rebuilds it."""


class InteractionRepository:
    """Interactions stored as sealed records in one segment (the private one unless told)."""

    def __init__(
        self,
        records: RecordStore,
        home_segment: bytes,
        cache: InteractionListener | None = None,
    ) -> None:
        self.records = records
        self.home_segment = home_segment
        self.cache = cache

    def _check(self, record_id: bytes, record_type: str, what: str) -> None:
        if self.records.type_of(record_id) != record_type:
            raise NotFound(f"(no {what} with that id)")

    def resolve(self, prefix: str) -> bytes:
        """The id of the one interaction whose id starts with ``prefix``."""
        return self.records.resolve(RECORD_TYPE, prefix, "interaction")

    def log(
        self, contact_id: bytes, draft: InteractionDraft, *, event_id: bytes | None = None
    ) -> Interaction:
        """Store one interaction about ``contact_id`` (and ``event_id``), in one transaction."""
        self._check(contact_id, CONTACT_TYPE, "contact")
        if event_id is not None:
            self._check(event_id, EVENT_TYPE, "event")
        with self.records.store.transaction():
            record_id = self.records.create(RECORD_TYPE, encode(draft), self.home_segment)
            self.records.link(record_id, contact_id, ABOUT, dependent=True)
            if event_id is not None:
                self.records.link(record_id, event_id, EVENT_ROLE, dependent=False)
        if self.cache:
            self.cache.interaction_logged(
                InteractionFact(ids.full(contact_id), draft.kind, draft.at, draft.direction,
                                draft.campaign)
            )
        return self.get_by_id(record_id)

    def log_many(self, items: list[tuple[bytes, InteractionDraft]]) -> list[bytes]:
        """Store many interactions in one transaction (imports, benchmarks); returns their ids.

        Every contact is checked first, so an unknown one changes nothing. The activity index,
        if built, is dropped and rebuilt on its next use.
        """
        for contact_id in {c for c, _ in items}:
            self._check(contact_id, CONTACT_TYPE, "contact")
        with self.records.store.transaction():
            made = self.records.create_many(
                RECORD_TYPE, (encode(d) for _, d in items), self.home_segment
            )
            for record_id, (contact_id, _) in zip(made, items, strict=True):
                self.records.link(record_id, contact_id, ABOUT, dependent=True)
        if self.cache:
            self.cache.clear()
        return made

    def _interaction(self, record: Record) -> Interaction:
        values = dict(record.fields)
        try:
            text = {n: values[n].decode("utf-8") for n in TEXT_FIELDS if n in values}
        except UnicodeDecodeError:
            raise IntegrityError("(an interaction field is malformed)") from None
        about = self.records.links_from(record.id, ABOUT)
        event = self.records.links_from(record.id, EVENT_ROLE)
        return Interaction(
            kind=text.get("kind", ""),
            at=_decode_at(values),
            direction=text.get("direction", ""),
            summary=text.get("summary", ""),
            outcome=text.get("outcome", ""),
            campaign=text.get("campaign", ""),
            label=text.get("label", ""),
            amount=text.get("amount", ""),
            currency=text.get("currency", ""),
            id=ids.full(record.id),
            contact=ids.full(about[0]) if about else "",
            event=ids.full(event[0]) if event else "",
            created=record.created,
        )

    def get_by_id(self, record_id: bytes) -> Interaction:
        """One interaction by full id."""
        record = self.records.get(record_id)
        if record.type != RECORD_TYPE:
            raise NotFound("(no interaction with that id)")
        return self._interaction(record)

    def history(self, contact_id: bytes, *, kind: str | None = None) -> list[Interaction]:
        """Every interaction about one contact, newest first (of one kind if given)."""
        self._check(contact_id, CONTACT_TYPE, "contact")
        wanted = check_kind(kind) if kind else None
        found = [
            self.get_by_id(record_id)
            for record_id in self.records.linked_to(contact_id, ABOUT)
            if self.records.type_of(record_id) == RECORD_TYPE
        ]
        if wanted:
            found = [i for i in found if i.kind == wanted]
        return sorted(found, key=lambda i: (-i.at, -i.created, i.id))

    def for_event(self, event_id: bytes) -> list[bytes]:
        """Ids of the interactions linked to an event."""
        return self.records.linked_to(event_id, EVENT_ROLE)

    def delete(self, record_id: bytes) -> int:
        """Crypto-shred one interaction; the activity index is rebuilt on its next use."""
        self._check(record_id, RECORD_TYPE, "interaction")
        count = self.records.shred([record_id])
        if self.cache:
            self.cache.clear()
        return count

    def count(self) -> int:
        """How many interactions."""
        return self.records.count(RECORD_TYPE)

    def index_facts(self) -> Iterator[InteractionFact]:
        """What the activity index keeps of every interaction, opening only ``INDEX_FIELDS``.

        Summaries, outcomes and amounts stay sealed: the index never needs them, and opening
        four fields instead of nine is most of the cost of building it.
        """
        about = dict(self.records.links_of_type(RECORD_TYPE, ABOUT))
        for record_id, values in self.records.iter_fields(RECORD_TYPE, INDEX_FIELDS):
            contact = about.get(record_id)
            if contact is None:
                continue
            try:
                kind = values["kind"].decode()
                direction = values["direction"].decode() if "direction" in values else ""
                campaign = values["campaign"].decode() if "campaign" in values else ""
            except (KeyError, UnicodeDecodeError):
                raise IntegrityError("(an interaction field is malformed)") from None
            yield InteractionFact(ids.full(contact), kind, _decode_at(values), direction,
                                  campaign)
