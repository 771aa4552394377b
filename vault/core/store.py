"""The SQLCipher 4 database: the only module that imports ``sqlcipher3``.

Rules and reasons (DESIGN §2):
- Raw-key mode: the 32-byte key comes from the VMK through HKDF, so SQLCipher's own PBKDF2 is
  skipped (the passphrase was already stretched by Argon2id once, in the header). The key is
  given through ``sqlite3_key`` from a buffer zeroed right after, never as SQL text
  (``_set_raw_key``).
- ``cipher_compatibility=4``, ``cipher_memory_security=OFF`` (decided and measured: see
  ``MEMORY_SECURITY``), ``cipher_log_level=NONE``; ``temp_store=MEMORY`` (no temp files with
  page data), ``secure_delete=ON`` (freed pages are zeroed), ``auto_vacuum=FULL`` (freed
  pages are returned to the OS), ``journal_mode=DELETE`` (WAL would keep old page versions around).
- ``cipher_version`` is checked at every open: a 3.x library would silently use weaker defaults.
- Every library error is mapped here: a database that will not decrypt or whose pages fail their
  HMAC is an ``IntegrityError`` (the key came from a header that unwrapped correctly, so the file
  itself is damaged); ``database is locked`` is ``VaultBusy``; ``database or disk is full``
  (SQLITE_FULL) is ``DiskFull``, never "tampered" (a full disk met while creating the
  journal also comes back as SQLITE_FULL: tests/faults/test_disk_full.py, slack 0).
- ``transaction()`` nests with savepoints: the outermost block commits or leaves no trace.
  SQLite itself rolls a transaction back after SQLITE_FULL or an I/O error, so the rollback
  here is skipped when none is active and never hides the first error (it used to surface as
  "cannot rollback - no transaction is active").
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import sqlcipher3

from vault.core.files import touch_private
from vault.errors import DiskFull, IntegrityError, KithError, VaultBusy

DB_NAME = "vault.db"
# OFF by decision (issue 12 §3, docs/threat-model.md "Memory"): ON makes SQLCipher mlock and wipe
# every SQLite allocation, about 2.5x slower, while the plaintext lives in Python memory anyway.
# SQLCipher cannot switch it off again in a process once on. bench/bench_memory_security.py.
MEMORY_SECURITY = "OFF"
MIN_CIPHER_MAJOR = 4
BUSY_TIMEOUT_MS = 10_000

Row = tuple[Any, ...]


def _map_error(error: Exception) -> KithError:
    """Translate a sqlcipher3 error into the vault's tree (no SQL or data in the message)."""
    text = str(error).lower()
    if "locked" in text or "busy" in text:
        return VaultBusy()
    if "disk is full" in text or "disk full" in text:
        return DiskFull()
    if isinstance(error, sqlcipher3.DatabaseError):
        return IntegrityError("(the vault database)")
    return KithError("database error")


_HEX = b"0123456789abcdef"


def _key_spec(raw_key: bytes) -> bytearray:
    """The raw-key spec ``x'<hex>'`` as one ``bytearray``, written digit by digit (no
    intermediate hex string); the caller zeroes it (``_wipe``) as soon as SQLCipher has a copy."""
    spec = bytearray(2 * len(raw_key) + 3)  # sized once: growing it would leave old copies
    spec[0:2] = b"x'"
    for i, byte in enumerate(raw_key):
        spec[2 + 2 * i] = _HEX[byte >> 4]
        spec[3 + 2 * i] = _HEX[byte & 0x0F]
    spec[-1] = 0x27  # the closing quote
    return spec


def _wipe(buffer: bytearray) -> None:
    for i in range(len(buffer)):
        buffer[i] = 0


def _set_raw_key(conn: Any, raw_key: bytes) -> None:
    """Key ``conn`` in raw-key mode without the key ever being part of a Python ``str``.

    ``PRAGMA key = "x'..'"`` built the key's hex into a SQL string that the driver's statement
    cache (and SQLite's copy of the statement's text) kept alive for the connection's whole life
    (issue 12: it was found in a core dump). Instead the key spec (``_key_spec``) is handed to
    ``sqlite3_key`` through the driver's ``set_key``, which copies it into SQLCipher's own
    memory, and zeroed at once.
    """
    spec = _key_spec(raw_key)
    try:
        conn.set_key(spec)
    finally:
        _wipe(spec)


class CommitHooks(Protocol):
    """What runs around every outermost write transaction (format 2: ``commit_guard.py``)."""

    def begun(self) -> None:
        """The write lock is held; nothing written yet."""

    def committing(self) -> None:
        """Inside the transaction, just before COMMIT (may write, may raise to roll back)."""

    def committed(self) -> None:
        """Just after COMMIT."""

    def rolled_back(self) -> None:
        """After a ROLLBACK of the outermost transaction."""


_READS = ("SELECT", "PRAGMA", "VACUUM", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE",
          "ATTACH", "DETACH", "EXPLAIN")


def _writes(sql: str) -> bool:
    """True unless ``sql`` is plainly a read or a transaction-control statement."""
    return not sql.lstrip()[:9].upper().startswith(_READS)


class Store:
    """One open, keyed SQLCipher connection with the settings above.

    With ``hooks`` set, every write runs inside a transaction that calls them: a statement that
    writes outside ``transaction()`` is wrapped in one, so no commit escapes the hooks.
    """

    def __init__(self, path: Path, raw_key: bytes) -> None:
        if len(raw_key) != 32:
            raise ValueError("raw key must be 32 bytes")
        self.path = path
        self._lock = threading.RLock()
        self._depth = 0
        self.hooks: CommitHooks | None = None
        if not path.exists():
            # Create the file 0600 before SQLite does, so it never exists with a wider mode.
            touch_private(path)
        try:
            self._conn = sqlcipher3.connect(
                str(path), isolation_level=None, check_same_thread=False
            )
            self._configure(raw_key)
        except sqlcipher3.Error as error:
            with contextlib.suppress(Exception):
                self._conn.close()
            raise _map_error(error) from None

    def _configure(self, raw_key: bytes) -> None:
        conn = self._conn
        _set_raw_key(conn, raw_key)
        for pragma in (
            "PRAGMA cipher_compatibility = 4",
            f"PRAGMA cipher_memory_security = {MEMORY_SECURITY}",
            "PRAGMA cipher_log_level = NONE",
        ):
            conn.execute(pragma).fetchall()
        version = conn.execute("PRAGMA cipher_version").fetchone()
        if not version or int(str(version[0]).split(".")[0]) < MIN_CIPHER_MAJOR:
            raise KithError("SQLCipher 4 or newer is required")
        # The first real read: fails here if the key is wrong or page 1 is damaged.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        # auto_vacuum can only change before the first table exists, and setting it rewrites
        # page 1 even when unchanged: set it on a new file only, so opening never writes.
        if conn.execute("PRAGMA auto_vacuum").fetchone()[0] != 1:
            conn.execute("PRAGMA auto_vacuum = FULL").fetchall()
        for pragma in (
            "PRAGMA temp_store = MEMORY",
            "PRAGMA secure_delete = ON",
            "PRAGMA journal_mode = DELETE",
            "PRAGMA foreign_keys = ON",
            f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}",
            # 32 MiB of page cache: random-id inserts at 100k contacts thrash the 2 MiB default.
            "PRAGMA cache_size = -32768",
        ):
            conn.execute(pragma).fetchall()

    # -- queries -----------------------------------------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        """Run one statement and return all rows."""
        if self.hooks is not None and self._depth == 0 and _writes(sql):
            with self.transaction():
                return self.execute(sql, params)
        with self._lock:
            try:
                return list(self._conn.execute(sql, params).fetchall())
            except sqlcipher3.Error as error:
                raise _map_error(error) from None

    def one(self, sql: str, params: Sequence[Any] = ()) -> Row | None:
        """The first row or None."""
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def iterate(self, sql: str, params: Sequence[Any] = (), batch: int = 2000) -> Iterator[Row]:
        """Stream rows in batches (the lock is held per batch, not for the whole scan)."""
        with self._lock:
            try:
                cursor = self._conn.execute(sql, params)
            except sqlcipher3.Error as error:
                raise _map_error(error) from None
        while True:
            with self._lock:
                try:
                    rows = cursor.fetchmany(batch)
                except sqlcipher3.Error as error:
                    raise _map_error(error) from None
            if not rows:
                return
            yield from rows

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for every row."""
        if self.hooks is not None and self._depth == 0 and _writes(sql):
            with self.transaction():
                self.executemany(sql, rows)
                return
        with self._lock:
            try:
                self._conn.executemany(sql, rows)
            except sqlcipher3.Error as error:
                raise _map_error(error) from None

    def script(self, sql: str) -> None:
        """Run several statements (migrations only)."""
        with self._lock:
            try:
                self._conn.executescript(sql)
            except sqlcipher3.Error as error:
                raise _map_error(error) from None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """All of the block or none of it; nested blocks are savepoints."""
        with self._lock:
            name = f"sp{self._depth}"
            outer = self._depth == 0
            begin = "BEGIN IMMEDIATE" if outer else f"SAVEPOINT {name}"
            self.execute(begin)
            self._depth += 1
            try:
                if outer and self.hooks is not None:
                    self.hooks.begun()
                yield
                if outer and self.hooks is not None:
                    self.hooks.committing()
            except BaseException:
                self._depth -= 1
                self._undo(name)
                raise
            self._depth -= 1
            try:
                self.execute("COMMIT" if self._depth == 0 else f"RELEASE {name}")
            except KithError:
                self._undo(name)
                raise
            if outer and self.hooks is not None:
                self.hooks.committed()

    def _undo(self, name: str) -> None:
        """Roll back to before savepoint ``name`` (the whole transaction at depth 0), then tell
        the commit hooks when the outermost transaction is gone.

        Nothing to roll back when SQLite already ended the transaction (after SQLITE_FULL, an
        I/O error or out of memory); a failing rollback never replaces the error being raised.
        """
        if self._conn.in_transaction:
            with contextlib.suppress(sqlcipher3.Error):
                if self._depth == 0:
                    self._conn.execute("ROLLBACK")
                else:
                    self._conn.execute(f"ROLLBACK TO {name}")
                    self._conn.execute(f"RELEASE {name}")
        if self._depth == 0 and self.hooks is not None:
            self.hooks.rolled_back()

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold SQLite's write lock for the block without changing anything (no hooks run):
        for work outside the database that must not interleave with another writer."""
        with self._lock:
            if self._depth:
                yield
                return
            self.execute("BEGIN IMMEDIATE")
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
                with contextlib.suppress(sqlcipher3.Error):
                    self._conn.execute("ROLLBACK")

    def export(
        self,
        path: Path,
        raw_key: bytes,
        then: Callable[[Callable[[str, Sequence[Any]], list[Row]]], None] | None = None,
    ) -> None:
        """Copy the whole database into the new file ``path`` keyed with ``raw_key``.

        ``sqlcipher_export`` runs in one write transaction on both files (no writer can slip in),
        and ``then(run)`` runs in the same transaction, where ``run(sql, params)`` executes on
        this connection with the copy attached as ``rk``: changes made there never reach a
        journal of the copy (its pages are new), so no older version of them exists on disk.
        The file is created 0600 first and synced by the commit. Used by ``passwd`` and the
        format-2 upgrade; no commit hooks run.
        """
        if len(raw_key) != 32:
            raise ValueError("raw key must be 32 bytes")
        touch_private(path)
        conn = self._conn

        def run(sql: str, params: Sequence[Any] = ()) -> list[Row]:
            return list(conn.execute(sql, params).fetchall())

        with self._lock:
            try:
                # The key goes in as a bound blob (SQLCipher reads the x'..' spec from its bytes),
                # never as SQL text the statement cache would keep (see _set_raw_key).
                spec = _key_spec(raw_key)
                try:
                    conn.execute("ATTACH DATABASE ? AS rk KEY ?", (str(path), spec))
                finally:
                    _wipe(spec)
                try:
                    for pragma in ("PRAGMA rk.auto_vacuum = FULL", "PRAGMA rk.secure_delete = ON"):
                        conn.execute(pragma).fetchall()
                    conn.execute("BEGIN IMMEDIATE")
                    try:
                        conn.execute("SELECT sqlcipher_export('rk')").fetchall()
                        if then is not None:
                            then(run)
                        conn.execute("COMMIT")
                    except BaseException:
                        conn.execute("ROLLBACK")
                        raise
                finally:
                    conn.execute("DETACH DATABASE rk")
            except sqlcipher3.Error as error:
                path.unlink(missing_ok=True)
                raise _map_error(error) from None
            except BaseException:
                path.unlink(missing_ok=True)
                raise

    def vacuum(self) -> None:
        """Rebuild the file so freed pages (already zeroed by secure_delete) are gone."""
        self.execute("VACUUM")

    def snapshot(self, path: Path, *, empty_tables: tuple[str, ...] = ()) -> None:
        """Write a consistent copy of the database to the new file ``path`` (backups, issue 4).

        ``VACUUM INTO`` reads the whole database in one read transaction, so the copy is one
        committed state even while another connection or process writes (writers wait, up to
        the busy timeout). The copy is keyed like this database, so it holds ciphertext only,
        and it is compacted (no free pages). The file is created 0600 before SQLite opens it.
        ``empty_tables`` are emptied in the copy (then vacuumed): what must never be backed up.
        """
        touch_private(path)
        try:
            self.execute("VACUUM INTO ?", (str(path),))
            if empty_tables:
                with self.attached(path, "snap"):
                    self.execute("PRAGMA snap.secure_delete = ON")
                    for table in empty_tables:
                        if not table.isidentifier():
                            raise ValueError("table names are identifiers")
                        with self._lock:  # the copy, not the vault: no commit hooks
                            self._conn.execute(f"DELETE FROM snap.{table}")  # noqa: S608
                    self.execute("VACUUM snap")
        except BaseException:
            path.unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def attached(self, path: Path, alias: str) -> Iterator[None]:
        """Attach another database for the block; without a KEY clause SQLCipher uses this
        database's key, so a ``snapshot`` can be read (for example, counted) in place."""
        if not alias.isidentifier():
            raise ValueError("alias must be an identifier")
        self.execute(f"ATTACH DATABASE ? AS {alias}", (str(path),))
        try:
            yield
        finally:
            self.execute(f"DETACH DATABASE {alias}")

    def check_integrity(self) -> None:
        """Raise ``IntegrityError`` unless SQLCipher's HMACs and SQLite's structure check out."""
        if self.execute("PRAGMA cipher_integrity_check"):
            raise IntegrityError("(the vault database)")
        if self.execute("PRAGMA integrity_check") != [("ok",)]:
            raise IntegrityError("(the vault database)")

    def pragma(self, name: str) -> Any:
        """The value of one pragma (for ``info`` and tests)."""
        row = self.one(f"PRAGMA {name}")
        return row[0] if row else None

    def change_marker(self) -> tuple[int, int]:
        """``(data_version, total_changes)``: the same value twice means nobody changed the data.

        ``data_version`` moves when another connection (another Kith process) commits;
        ``total_changes`` counts rows this connection changed. Both are O(1), so in-memory
        indexes can check freshness on every query (issue 6, ``vault/domain/activity_index.py``).
        """
        with self._lock:
            try:
                version = self._conn.execute("PRAGMA data_version").fetchone()[0]
                return int(version), int(self._conn.total_changes)
            except sqlcipher3.Error as error:
                raise _map_error(error) from None

    def close(self) -> None:
        """Close the connection; SQLCipher wipes its key material."""
        with self._lock, contextlib.suppress(sqlcipher3.Error):
            self._conn.close()
