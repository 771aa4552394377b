"""The relay's storage used in-process (the kiosk): the same calls a relay client makes.

    inbox = LocalInbox(store)          # list / get / delete with a token, as over HTTP
"""

from __future__ import annotations

import time

from relay.app import token_hash
from relay.storage import Storage


class LocalInbox:
    """Mailbox reads and deletes against a ``Storage``, checking tokens as the relay does."""

    def __init__(self, store: Storage) -> None:
        self.store = store

    def list(self, mailbox: bytes, token: bytes, after: int = 0) -> list[tuple[int, int]]:
        rows = self.store.list(mailbox, token_hash(token), after, 10_000, int(time.time()))
        return [(seq, size) for seq, size, _ in rows]

    def get(self, mailbox: bytes, token: bytes, seq: int, limit: int = 1 << 20) -> bytes | None:
        data = self.store.get(mailbox, token_hash(token), seq, int(time.time()))
        return None if data is None or len(data) > limit else data

    def delete(self, mailbox: bytes, token: bytes, seq: int) -> None:
        self.store.delete(mailbox, token_hash(token), seq)
