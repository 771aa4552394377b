"""``kith intake pull``: fetch a form's sealed sign-ups, open, apply, then acknowledge them.

    outcome = pull(vault, form, inbox)     # inbox: a relay client, or the kiosk's local store

Rules and reasons:
- An item is acknowledged (deleted on the relay) only after what it carried is committed in
  the vault: a crash in between re-delivers it, and re-applying a sign-up merges into the same
  contact (an SMS is recognised by its id).
- An item that does not open with the form's key can never open (it is sealed to this key or
  it is junk): it is counted and deleted too, so junk cannot fill the mailbox for good.
- ``inbox`` is anything with ``list``, ``get`` and ``delete`` (``Inbox``): ``intake`` does no
  network I/O itself; ``tui`` hands it a relay client.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from intake.apply import Outcome, apply_items
from intake.errors import BadSubmission
from intake.forms import Form, save
from intake.submissions import SmsMessage, WebSignup, open_item

if TYPE_CHECKING:
    from vault import Vault

MAX_ITEM = 16 * 1024


class Inbox(Protocol):
    """Where a form's sealed sign-ups wait."""

    def list(self, mailbox: bytes, token: bytes, after: int = 0) -> list[tuple[int, int]]: ...
    def get(self, mailbox: bytes, token: bytes, seq: int, limit: int = ...) -> bytes | None: ...
    def delete(self, mailbox: bytes, token: bytes, seq: int) -> None: ...


def pull(vault: Vault, form: Form, inbox: Inbox,
         within: Callable[[Outcome], None] | None = None) -> Outcome:
    """Take every waiting sign-up of ``form`` into the vault; acknowledge each.

    ``within`` runs in the same transaction, before anything is acknowledged: what the CLI
    derives from the outcome (poll answers on the outreach report, introduction YESes) is
    committed with it or not at all.
    """
    mailbox, token = bytes.fromhex(form.mailbox), bytes.fromhex(form.owner_token)
    opened: list[tuple[int, WebSignup | SmsMessage]] = []
    junk: list[int] = []
    for seq, size in inbox.list(mailbox, token):
        data = inbox.get(mailbox, token, seq, limit=MAX_ITEM) if size <= MAX_ITEM else None
        if data is None:
            junk.append(seq)
            continue
        try:
            opened.append((seq, open_item(form, data)))
        except BadSubmission:
            junk.append(seq)
    with vault.live_store.transaction():
        outcome = apply_items(vault, form, [item for _, item in opened])
        if within is not None:
            within(outcome)
        save(vault, form)
    vault.drop_indexes()
    for seq, _ in opened:
        inbox.delete(mailbox, token, seq)
    for seq in junk:
        inbox.delete(mailbox, token, seq)
    outcome.refused += len(junk)
    return outcome
