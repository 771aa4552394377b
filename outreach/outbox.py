"""The outbox: composed messages and per-recipient delivery state, as sealed records.

    outreach_message   channel, kind, audience, subject, body, html, event, frozen
    outreach_delivery  state, address, message_id, sent_at, error, replies, opted_out, answer,
                       answer_via (how the answering reply was matched: thread or address),
                       poll (the latest SMS poll word the recipient answered, ``polls.py``)
        delivery --message-->   message   dependent: deleting a message shreds its deliveries
        delivery --recipient--> contact   dependent: shredding a contact shreds who-got-what

Rules and reasons:
- Everything a user or contact wrote (bodies, subjects, addresses, Message-IDs, reply ids) is a
  sealed field like any contact field: the outbox is the most sensitive list in the vault (who
  was told what, when), so it gets no plaintext table, file or spool. Rendered messages are
  never stored at all: they are rebuilt from the sealed template at send time, in memory.
- Delivery state is a sealed field too, and each change is its own committed write, so a
  process killed at any point leaves a state on disk that says exactly how far it got
  (``outreach/sender.py`` relies on it to resume without double sends).
- States: ``queued`` (frozen, not tried), ``sending`` (recorded just before the transport
  call), ``sent``, ``failed`` (the transport refused), ``uncertain`` (found in ``sending`` on
  resume: we cannot know whether it left), ``skipped`` (consent changed before its turn).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vault import ids
from vault.core.records import Record, RecordStore
from vault.errors import IntegrityError, NotFound

if TYPE_CHECKING:
    from vault import Vault

MESSAGE_TYPE = "outreach_message"
DELIVERY_TYPE = "outreach_delivery"
MESSAGE_ROLE = "message"
RECIPIENT_ROLE = "recipient"
STATES = ("queued", "sending", "sent", "failed", "uncertain", "skipped")
_MESSAGE_TEXT = ("channel", "kind", "audience", "subject", "body", "html", "event")
_DELIVERY_TEXT = ("state", "address", "message_id", "error", "answer", "reason", "answer_via",
                  "poll")


@dataclass(frozen=True)
class Message:
    """One composed message (the template, not a rendering)."""

    id: str
    channel: str
    kind: str
    audience: str
    subject: str
    body: str
    html: str
    event: str
    created: int
    frozen: bool

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` shape of a message."""
        return {"id": self.id, "channel": self.channel, "kind": self.kind,
                "audience": self.audience, "subject": self.subject, "created": self.created,
                "frozen": self.frozen, "event": self.event or None}


@dataclass(frozen=True)
class Delivery:
    """One recipient of one message and how far delivery got."""

    id: bytes
    message: bytes
    contact: bytes
    state: str
    address: str
    message_id: str = ""
    sent_at: int | None = None
    error: str = ""
    replies: tuple[str, ...] = ()
    opted_out: bool = False
    answer: str = ""
    reason: str = ""
    answer_via: str = ""
    poll: str = ""


def _text(values: Mapping[str, bytes], names: Iterable[str]) -> dict[str, str]:
    try:
        return {n: values[n].decode("utf-8") for n in names if n in values}
    except UnicodeDecodeError:
        raise IntegrityError("(an outbox field is malformed)") from None


class Outbox:
    """Messages and deliveries stored as sealed records in the private segment."""

    def __init__(self, records: RecordStore, home_segment: bytes) -> None:
        self.records = records
        self.home_segment = home_segment

    @classmethod
    def of(cls, vault: Vault) -> Outbox:
        """The outbox of an unlocked vault (kept in its private segment)."""
        return cls(vault.records, vault.private_segment)

    # -- messages ------------------------------------------------------------------------------

    def create(self, values: Mapping[str, str]) -> Message:
        """Store a composed message (already validated by ``compose``)."""
        sealed = {k: v.encode() for k, v in values.items() if k in _MESSAGE_TEXT and v}
        return self.get(self.records.create(MESSAGE_TYPE, sealed, self.home_segment))

    def _message(self, record: Record) -> Message:
        text = _text(record.fields, _MESSAGE_TEXT)
        return Message(ids.full(record.id), text.get("channel", ""), text.get("kind", ""),
                       text.get("audience", ""), text.get("subject", ""), text.get("body", ""),
                       text.get("html", ""), text.get("event", ""), record.created,
                       record.fields.get("frozen") == b"1")

    def get(self, record_id: bytes) -> Message:
        """One message by full id."""
        record = self.records.get(record_id)
        if record.type != MESSAGE_TYPE:
            raise NotFound("(no outreach message with that id)")
        return self._message(record)

    def resolve(self, prefix: str) -> bytes:
        """The id of the one message whose id starts with ``prefix``."""
        return self.records.resolve(MESSAGE_TYPE, prefix, "outreach message")

    def messages(self) -> list[Message]:
        """Every message, newest first."""
        found = [self._message(r) for r in self.records.iter_type(MESSAGE_TYPE)]
        return sorted(found, key=lambda m: (-m.created, m.id))

    # -- deliveries ----------------------------------------------------------------------------

    def freeze(self, message_id: bytes, recipients: list[tuple[bytes, str]]) -> None:
        """Queue one delivery per (contact, address) and mark the message frozen, atomically.

        Freezing happens once, at the first ``send``: a resumed send works through the same
        list instead of re-resolving the audience (which would change as people are messaged).
        """
        with self.records.store.transaction():
            made = self.records.create_many(
                DELIVERY_TYPE,
                ({"state": b"queued", "address": address.encode()} for _, address in recipients),
                self.home_segment,
            )
            for delivery_id, (contact_id, _) in zip(made, recipients, strict=True):
                self.records.link(delivery_id, message_id, MESSAGE_ROLE, dependent=True)
                self.records.link(delivery_id, contact_id, RECIPIENT_ROLE, dependent=True)
            self.records.update(message_id, {"frozen": b"1"})

    def _delivery(self, record_id: bytes, values: Mapping[str, bytes], message: bytes,
                  contact: bytes) -> Delivery:
        text = _text(values, _DELIVERY_TEXT)
        try:
            replies = tuple(json.loads(values["replies"])) if "replies" in values else ()
            sent_at = int(values["sent_at"]) if "sent_at" in values else None
        except (ValueError, TypeError):
            raise IntegrityError("(an outbox field is malformed)") from None
        return Delivery(record_id, message, contact, text.get("state", "queued"),
                        text.get("address", ""), text.get("message_id", ""), sent_at,
                        text.get("error", ""), tuple(str(r) for r in replies),
                        values.get("opted_out") == b"1", text.get("answer", ""),
                        text.get("reason", ""), text.get("answer_via", ""),
                        text.get("poll", ""))

    def deliveries(self, message_id: bytes | None = None) -> list[Delivery]:
        """Every delivery (of one message if given), in creation order of their ids.

        One streaming pass over the delivery records (no per-record lookups).
        """
        to_message = dict(self.records.links_of_type(DELIVERY_TYPE, MESSAGE_ROLE))
        to_contact = dict(self.records.links_of_type(DELIVERY_TYPE, RECIPIENT_ROLE))
        found: list[Delivery] = []
        for record in self.records.iter_type(DELIVERY_TYPE):
            message = to_message.get(record.id)
            contact = to_contact.get(record.id)
            if message is None or contact is None:
                continue
            if message_id is None or message == message_id:
                found.append(self._delivery(record.id, record.fields, message, contact))
        return found

    def update(self, delivery_id: bytes, **changes: str | int | bool | tuple[str, ...]) -> None:
        """Write some delivery fields in one committed transaction."""
        sealed: dict[str, bytes | None] = {}
        for name, value in changes.items():
            if isinstance(value, bool):
                sealed[name] = b"1" if value else None
            elif isinstance(value, tuple):
                sealed[name] = json.dumps(list(value)).encode()
            else:
                sealed[name] = str(value).encode() if value != "" else None
        self.records.update(delivery_id, sealed)

    def delete(self, message_id: bytes) -> int:
        """Crypto-shred a message and its deliveries."""
        return self.records.shred([message_id])
