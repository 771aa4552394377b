"""The relay's storage: mailboxes of opaque items, and intake forms, behind one interface.

    store = open_storage(data_dir, database_url)   # SQLite in DATA/relay.db, or PostgreSQL
    seq = store.put(mailbox, token_hash, data, now, limits)
    store.list(mailbox, token_hash, after, limit, now) -> [(seq, size, expires)]
    store.get(mailbox, token_hash, seq, now) -> bytes | None
    store.delete(mailbox, token_hash, seq) -> bool
    store.expire(now) -> int

Rules and reasons:
- A mailbox is created by its first write, which fixes its token hash (SHA-256 of the write
  token): the relay never learns the token's origin, and afterwards only that token reads,
  writes or deletes. Tokens are compared in constant time.
- The number of mailboxes is bounded too (``max_mailboxes``): anyone may create a mailbox, so
  without it a stranger could fill the disk one quota at a time.
- Quotas are checked and counters updated in the same transaction as the insert (SQLite
  ``BEGIN IMMEDIATE``, PostgreSQL ``SELECT ... FOR UPDATE``), so concurrent writers cannot
  overshoot them.
- Expired items are never returned and are deleted by ``expire``; a mailbox with no items and
  no write for a TTL is forgotten (its id and token hash too).
- Sequence numbers only grow, even across a forgotten and re-created mailbox: a new mailbox
  starts at ``now * SEQ_SPAN`` (more than any mailbox's item quota per second), so a reader
  that remembers "mailbox:seq" as taken never skips a new item that reuses a number.
- One SQL text serves both engines: placeholders are written ``?`` and rewritten for psycopg,
  and ``/*lock*/`` (a comment to SQLite, whose ``BEGIN IMMEDIATE`` already serializes writers)
  becomes ``FOR UPDATE``.
"""

from __future__ import annotations

import hmac
import queue
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from relay.config import Limits
from relay.errors import Forbidden, QuotaFull

SEQ_SPAN = 1_000_000
SCHEMA = [
    """CREATE TABLE IF NOT EXISTS mailboxes (
        id {blob} PRIMARY KEY, token {blob} NOT NULL, next_seq {int} NOT NULL,
        used_bytes {int} NOT NULL, used_items {int} NOT NULL, last_write {int} NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS items (
        mailbox {blob} NOT NULL, seq {int} NOT NULL, expires {int} NOT NULL,
        size {int} NOT NULL, data {blob} NOT NULL, PRIMARY KEY (mailbox, seq))""",
    "CREATE INDEX IF NOT EXISTS items_expires ON items (expires)",
    """CREATE TABLE IF NOT EXISTS forms (
        id {blob} PRIMARY KEY, owner {blob} NOT NULL, mailbox {blob} NOT NULL,
        sms {blob}, definition {blob} NOT NULL)""",
]


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...


class Storage:
    """The operations; engines supply ``_tx`` (one transaction) and the SQL dialect."""

    def _tx(self) -> AbstractContextManager[Cursor]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _check(self, stored: bytes, token_hash: bytes) -> None:
        if not hmac.compare_digest(bytes(stored), token_hash):
            raise Forbidden

    def put(self, mailbox: bytes, token_hash: bytes, data: bytes, now: int,
            limits: Limits) -> int:
        """Append ``data`` to ``mailbox`` (created by this write if new); its sequence number."""
        with self._tx() as cur:
            cur.execute(
                "INSERT INTO mailboxes (id, token, next_seq, used_bytes, used_items, last_write)"
                " VALUES (?, ?, ?, 0, 0, ?) ON CONFLICT (id) DO NOTHING",
                (mailbox, token_hash, now * SEQ_SPAN + 1, now),
            )
            if cur.rowcount == 1:  # a new mailbox: the relay holds at most so many
                cur.execute("SELECT COUNT(*) FROM mailboxes")
                if int(cur.fetchone()[0]) > limits.max_mailboxes:
                    raise QuotaFull
            cur.execute(
                "SELECT token, next_seq, used_bytes, used_items FROM mailboxes WHERE id = ?"
                " /*lock*/", (mailbox,),
            )
            token, seq, used_bytes, used_items = cur.fetchone()
            self._check(token, token_hash)
            if used_items + 1 > limits.mailbox_items or (
                used_bytes + len(data) > limits.mailbox_bytes
            ):
                raise QuotaFull
            cur.execute(
                "INSERT INTO items (mailbox, seq, expires, size, data) VALUES (?, ?, ?, ?, ?)",
                (mailbox, seq, now + limits.ttl_seconds, len(data), data),
            )
            cur.execute(
                "UPDATE mailboxes SET next_seq = ?, used_bytes = ?, used_items = ?,"
                " last_write = ? WHERE id = ?",
                (seq + 1, used_bytes + len(data), used_items + 1, now, mailbox),
            )
            return int(seq)

    def _token_of(self, cur: Cursor, mailbox: bytes) -> bytes | None:
        cur.execute("SELECT token FROM mailboxes WHERE id = ?", (mailbox,))
        row = cur.fetchone()
        return None if row is None else bytes(row[0])

    def list(self, mailbox: bytes, token_hash: bytes, after: int, limit: int,
             now: int) -> list[tuple[int, int, int]]:
        """(seq, size, expires) of live items after ``after``; [] for an unknown mailbox."""
        with self._tx() as cur:
            token = self._token_of(cur, mailbox)
            if token is None:
                return []
            self._check(token, token_hash)
            cur.execute(
                "SELECT seq, size, expires FROM items WHERE mailbox = ? AND seq > ?"
                " AND expires > ? ORDER BY seq LIMIT ?", (mailbox, after, now, limit),
            )
            return [(int(s), int(z), int(e)) for s, z, e in cur.fetchall()]

    def get(self, mailbox: bytes, token_hash: bytes, seq: int, now: int) -> bytes | None:
        """One live item's bytes, or None."""
        with self._tx() as cur:
            token = self._token_of(cur, mailbox)
            if token is None:
                return None
            self._check(token, token_hash)
            cur.execute(
                "SELECT data FROM items WHERE mailbox = ? AND seq = ? AND expires > ?",
                (mailbox, seq, now),
            )
            row = cur.fetchone()
            return None if row is None else bytes(row[0])

    def delete(self, mailbox: bytes, token_hash: bytes, seq: int) -> bool:
        """Delete one item (an acknowledged sign-up); whether it was there."""
        with self._tx() as cur:
            cur.execute(
                "SELECT token FROM mailboxes WHERE id = ? /*lock*/", (mailbox,)
            )
            row = cur.fetchone()
            if row is None:
                return False
            self._check(row[0], token_hash)
            cur.execute("SELECT size FROM items WHERE mailbox = ? AND seq = ?", (mailbox, seq))
            found = cur.fetchone()
            if found is None:
                return False
            cur.execute("DELETE FROM items WHERE mailbox = ? AND seq = ?", (mailbox, seq))
            cur.execute(
                "UPDATE mailboxes SET used_bytes = used_bytes - ?, used_items = used_items - 1"
                " WHERE id = ?", (int(found[0]), mailbox),
            )
            return True

    def expire(self, now: int, ttl: int) -> int:
        """Delete expired items (and mailboxes idle and empty for a TTL); how many items."""
        with self._tx() as cur:
            cur.execute(
                "SELECT mailbox, COUNT(*), SUM(size) FROM items WHERE expires <= ?"
                " GROUP BY mailbox", (now,),
            )
            gone = cur.fetchall()
            for mailbox, count, size in gone:
                cur.execute(
                    "UPDATE mailboxes SET used_bytes = used_bytes - ?,"
                    " used_items = used_items - ? WHERE id = ?", (int(size), int(count), mailbox),
                )
            cur.execute("DELETE FROM items WHERE expires <= ?", (now,))
            cur.execute(
                "DELETE FROM mailboxes WHERE used_items = 0 AND last_write <= ?"
                " AND id NOT IN (SELECT mailbox FROM forms)", (now - ttl,),
            )
            return sum(int(count) for _, count, _ in gone)

    def put_form(self, form_id: bytes, owner_hash: bytes, mailbox: bytes, sms_hash: bytes | None,
                 definition: bytes, now: int) -> None:
        """Publish (or, with the same owner token, replace) a form; creates its mailbox."""
        with self._tx() as cur:
            cur.execute("SELECT owner FROM forms WHERE id = ? /*lock*/", (form_id,))
            row = cur.fetchone()
            if row is not None:
                self._check(row[0], owner_hash)
                cur.execute(
                    "UPDATE forms SET sms = ?, definition = ? WHERE id = ?",
                    (sms_hash, definition, form_id),
                )
                return
            token = self._token_of(cur, mailbox)
            if token is not None:
                self._check(token, owner_hash)
            cur.execute(
                "INSERT INTO mailboxes (id, token, next_seq, used_bytes, used_items, last_write)"
                " VALUES (?, ?, ?, 0, 0, ?) ON CONFLICT (id) DO NOTHING",
                (mailbox, owner_hash, now * SEQ_SPAN + 1, now),
            )
            cur.execute(
                "INSERT INTO forms (id, owner, mailbox, sms, definition) VALUES (?, ?, ?, ?, ?)",
                (form_id, owner_hash, mailbox, sms_hash, definition),
            )

    def get_form(self, form_id: bytes) -> tuple[bytes, bytes, bytes | None, bytes] | None:
        """(owner hash, mailbox, sms hook hash, definition) of a form, or None."""
        with self._tx() as cur:
            cur.execute(
                "SELECT owner, mailbox, sms, definition FROM forms WHERE id = ?", (form_id,)
            )
            row = cur.fetchone()
            if row is None:
                return None
            owner, mailbox, sms, definition = row
            return bytes(owner), bytes(mailbox), None if sms is None else bytes(sms), bytes(
                definition)


class SqliteStorage(Storage):
    """SQLite in WAL mode: one connection, one writer at a time (a lock), zero set-up."""

    def __init__(self, path: Path | str) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA secure_delete=ON")  # deleted items are overwritten, not left
        for statement in SCHEMA:
            self._db.execute(statement.format(blob="BLOB", int="INTEGER"))

    @contextmanager
    def _tx(self) -> Iterator[Cursor]:
        with self._lock:
            cur = self._db.cursor()
            cur.execute("BEGIN IMMEDIATE")
            try:
                yield cur
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._db.close()


class _PgCursor:
    """A psycopg cursor that takes ``?`` placeholders."""

    def __init__(self, cur: Any) -> None:
        self._cur = cur

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        return self._cur.execute(sql.replace("?", "%s").replace("/*lock*/", "FOR UPDATE"), params)

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def fetchone(self) -> Any:
        return self._cur.fetchone()

    def fetchall(self) -> list[Any]:
        return list(self._cur.fetchall())


class PostgresStorage(Storage):
    """PostgreSQL through psycopg 3: a small pool of connections, row locks for quotas."""

    def __init__(self, url: str, connections: int = 4) -> None:
        import psycopg

        self._pool: queue.Queue[Any] = queue.Queue()
        self._all = [psycopg.connect(url, autocommit=True) for _ in range(connections)]
        with self._all[0].transaction():
            # one schema creation at a time, even with several relays starting together
            self._all[0].execute("SELECT pg_advisory_xact_lock(4242)")
            for statement in SCHEMA:
                self._all[0].execute(statement.format(blob="BYTEA", int="BIGINT"))
        for conn in self._all:
            self._pool.put(conn)

    @contextmanager
    def _tx(self) -> Iterator[Cursor]:
        conn = self._pool.get()
        try:
            with conn.transaction(), conn.cursor() as cur:
                yield _PgCursor(cur)
        finally:
            self._pool.put(conn)

    def close(self) -> None:
        for conn in self._all:
            conn.close()


def open_storage(data_dir: Path | None, database: str | None) -> Storage:
    """PostgreSQL when ``database`` is given, else SQLite in ``data_dir/relay.db``."""
    if database:
        return PostgresStorage(database)
    if data_dir is None:
        raise ValueError("a relay needs --data DIR or --database URL")
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return SqliteStorage(data_dir / "relay.db")
