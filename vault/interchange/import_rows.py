"""Import, pass 1: a file's bytes to normalized rows, in batches, in a process without keys.

    batches(data, options, region) -> Iterator[Batch]

Reads the file with ``vault/interchange`` and checks each record with ``vault/domain/validate.py``
(lenient: a phone that does not parse is kept as typed). Rows come in batches of
``BATCH_ROWS`` so the importer can match and write while the rest of the file is still being
read. A file-level problem (encoding, binary data, broken structure, a ragged row, a value over
64 KiB) raises ``ImportFailed`` naming the line; the importer then rolls back whatever it wrote.

Row decisions, with their reasons:
- vCard groups (``KIND:group``) are skipped: they are lists of members, not people.
- An invalid email does not reject its row: the text is kept in the custom field ``invalid
  email`` and a warning names the line (nothing typed is silently lost, as with phones).
- A row that cannot become a contact at all (no name, email or phone; a value over the model's
  limits) is rejected: reported with its line, the rest of the file goes on.
- CiviCRM's ``Do Not Email``, ``Do Not Phone``, ``Do Not SMS``, ``Do Not Mail`` and ``Is Opt
  Out`` flags are taken out of the custom fields and become consent rules to deny (email,
  phone, SMS, post, and every bulk email kind); "no" adds nothing (consent is opt-in).

Files of ``WORKER_BYTES`` or more are read in a separate process, started fresh (``spawn``: it
inherits no memory, so no key of the unlocked vault), which sends batches through a pipe. Two
reasons: parsing and normalizing 100,000 contacts is CPU-bound Python that then runs on another
core while the importer seals and writes (bench/bench_import.py); and the code that parses an
untrusted file runs where no key exists. Small files are read in-process (starting a process
costs more than it saves). As with any ``spawn`` process, a script that imports large files
through this module must guard its entry point (``if __name__ == "__main__":``); ``kith``,
``python -m tui`` and the test runner do.
"""

from __future__ import annotations

import multiprocessing
import queue
import sys
import threading
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field, replace
from multiprocessing.connection import Connection

from vault.domain import preferences as prefs_mod
from vault.domain.model import ContactDraft
from vault.domain.validate import normalize_draft, normalize_email
from vault.errors import ImportFailed, InvalidInput, KithError
from vault.interchange import ImportRecord, read_contacts
from vault.interchange.import_report import ImportOptions, Issue

BATCH_ROWS = 1000
AHEAD = 20  # batches the reader process may run ahead of the importer
WORKER_BYTES = 1 << 20
INVALID_EMAIL_FIELD = "invalid email"
_LOST = object()  # the reader process ended without a last word
_YES = frozenset({"1", "yes", "y", "true", "x"})
_NO = frozenset({"0", "no", "n", "false", ""})
CIVICRM_FLAGS: Mapping[str, tuple[str, ...]] = {
    "civicrm_do_not_email": ("email",),
    "civicrm_do_not_phone": ("phone",),
    "civicrm_do_not_sms": ("sms",),
    "civicrm_do_not_mail": ("post",),
    "civicrm_is_opt_out": tuple(f"email:{kind}" for kind in prefs_mod.MESSAGE_KINDS),
}


@dataclass(frozen=True)
class Row:
    """One normalized record: its first line, the draft, and consent rules to deny."""

    line: int
    draft: ContactDraft
    denies: frozenset[str] = frozenset()


@dataclass
class Batch:
    """Rows and issues of a stretch of the file; ``records`` counts every record read
    (groups and rejected rows included), ``line`` is how far the reader got."""

    rows: list[Row] = field(default_factory=list)
    skipped: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    records: int = 0
    line: int = 0


def why(error: InvalidInput) -> str:
    """The detail of an ``InvalidInput`` without its brackets."""
    return (error.detail or error.message).strip().strip("()")


def civicrm_flags(draft: ContactDraft) -> tuple[ContactDraft, frozenset[str]]:
    """``draft`` without CiviCRM's privacy flags, and the consent rules they deny."""
    if not any(k in CIVICRM_FLAGS for k, _ in draft.fields):
        return draft, frozenset()
    denies: set[str] = set()
    kept = []
    for key, value in draft.fields:
        word = value.strip().casefold()
        if key in CIVICRM_FLAGS and word in _YES | _NO:
            if word in _YES:
                denies.update(CIVICRM_FLAGS[key])
            continue
        kept.append((key, value))
    return replace(draft, fields=tuple(kept)), frozenset(denies)


def _salvage_emails(draft: ContactDraft, line: int, out: Batch) -> ContactDraft | None:
    """``draft`` with invalid emails moved to custom fields (warned), or None if all are valid."""
    good, bad = [], []
    for position, email in enumerate(draft.emails, 1):
        try:
            normalize_email(email.value, position=position)
            good.append(email)
        except InvalidInput:
            if email.value.strip():
                bad.append((position, email.value))
    if not bad:
        return None
    taken = {k for k, _ in draft.fields}
    fields = list(draft.fields)
    for position, text in bad:
        key, n = INVALID_EMAIL_FIELD, 1
        while key in taken:
            n += 1
            key = f"{INVALID_EMAIL_FIELD} {n}"
        taken.add(key)
        fields.append((key, text))
        out.warnings.append(Issue(line, "invalid email", f"email {position} is not a valid "
                                  f"address; kept in the custom field {key!r}"))  # fmt: skip
    return replace(draft, emails=tuple(good), fields=tuple(fields))


def _normalize(draft: ContactDraft, region: str, line: int, out: Batch) -> ContactDraft | None:
    """The normalized row; invalid emails are salvaged, anything else rejects the row."""
    try:
        return normalize_draft(draft, region, strict=False)
    except InvalidInput as error:
        problem = error
    salvaged = _salvage_emails(draft, line, out)
    if salvaged is not None:
        try:
            return normalize_draft(salvaged, region, strict=False)
        except InvalidInput as error:
            problem = error
    out.errors.append(Issue(line, "invalid", why(problem)))
    return None


def _take(record: ImportRecord, opts: ImportOptions, region: str, batch: Batch) -> None:
    """Count ``record`` into ``batch``: a normalized row, or the issue that keeps it out."""
    batch.records += 1
    batch.line = record.line
    if record.is_group:
        batch.skipped.append(
            Issue(record.line, "group", "a contact group (a list of members), not a person")
        )
        return
    draft = record.draft
    if opts.tags:
        draft = replace(draft, tags=draft.tags + opts.tags)
    draft, denies = civicrm_flags(draft)
    clean = _normalize(draft, region, record.line, batch)
    if clean is not None:
        batch.rows.append(Row(record.line, clean, denies))


def first_rows(data: bytes, opts: ImportOptions, region: str, limit: int) -> Batch:
    """The first ``limit`` records exactly as an import would take them (normalized rows, or
    the issue that keeps each out), for a preview; reads no further. Raises ``ImportFailed``
    for a file-level problem met on the way."""
    batch = Batch()
    try:
        for record in read_contacts(
            data, fmt=opts.fmt, preset=opts.preset, column_map=opts.column_map
        ):
            _take(record, opts, region, batch)
            if batch.records >= limit:
                break
    except InvalidInput as error:
        raise ImportFailed(f"({why(error)})") from None
    return batch


def read_rows(data: bytes, opts: ImportOptions, region: str) -> Generator[Batch, None, None]:
    """Batches of normalized rows, in this process; raises ``ImportFailed``."""
    batch = Batch()
    try:
        for record in read_contacts(
            data, fmt=opts.fmt, preset=opts.preset, column_map=opts.column_map
        ):
            _take(record, opts, region, batch)
            if len(batch.rows) >= BATCH_ROWS:
                yield batch
                batch = Batch()
    except InvalidInput as error:
        raise ImportFailed(f"({why(error)})") from None
    yield batch


def _worker(conn: Connection, data: bytes, opts: ImportOptions, region: str) -> None:
    """The reader process: send every batch, then ``None``; a refusal is sent as text."""
    try:
        for batch in read_rows(data, opts, region):
            conn.send(batch)
        conn.send(None)
    except ImportFailed as error:
        conn.send(error.detail or "")
    except Exception as error:  # reported by type only: its message may hold contact data
        conn.send(f"(the file could not be read: {type(error).__name__})")
    finally:
        conn.close()


_TRACKER_LOCK = threading.Lock()


def _start_tracker() -> None:
    """Start multiprocessing's resource tracker with the process's real stderr.

    The tracker is started on the first ``spawn`` and handed ``sys.stderr.fileno()``. Under a
    host that replaced ``sys.stderr`` with an object whose ``fileno()`` is -1 (Textual does,
    for the whole time the TUI runs), that start fails with "bad value(s) in fds_to_keep" and
    the import with it. So the tracker is started here, once, with ``sys.__stderr__`` in place;
    later spawns find it running and do not look at ``sys.stderr`` again.
    """
    from multiprocessing import resource_tracker

    with _TRACKER_LOCK:
        try:
            usable = sys.stderr is not None and sys.stderr.fileno() >= 0
        except (AttributeError, OSError, ValueError):
            usable = False
        if usable or sys.__stderr__ is None:
            resource_tracker.ensure_running()
            return
        replaced, sys.stderr = sys.stderr, sys.__stderr__
        try:
            resource_tracker.ensure_running()
        finally:
            sys.stderr = replaced


class _WorkerRows:
    """Batches from a reader process started at once (so it starts while the vault prepares).

    A thread drains the pipe into a queue of up to ``AHEAD`` batches, so the reader keeps
    working while the importer is busy writing (a pipe alone holds less than one batch); the
    bound keeps memory flat. ``close`` stops the process, whether or not it was iterated.
    """

    def __init__(self, data: bytes, opts: ImportOptions, region: str) -> None:
        _start_tracker()
        context = multiprocessing.get_context("spawn")
        self._receiver, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_worker, args=(sender, data, opts, region), name="kith-import-reader",
            daemon=True,
        )  # fmt: skip
        self._process.start()
        sender.close()
        self._queue: queue.Queue[object] = queue.Queue(maxsize=AHEAD)
        self._stop = threading.Event()
        self._pump = threading.Thread(target=self._drain, name="kith-import-pump", daemon=True)
        self._pump.start()

    def _drain(self) -> None:
        try:
            while not self._stop.is_set():
                message = self._receiver.recv()
                self._put(message)
                if not isinstance(message, Batch):
                    return
        except (EOFError, OSError):
            self._put(_LOST)

    def _put(self, message: object) -> None:
        while not self._stop.is_set():
            try:
                self._queue.put(message, timeout=0.1)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[Batch]:
        while True:
            message = self._queue.get()
            if message is None:
                return
            if message is _LOST:
                raise KithError("(the import reader stopped unexpectedly)")
            if isinstance(message, str):
                raise ImportFailed(message)
            assert isinstance(message, Batch)
            yield message

    def close(self) -> None:
        """Stop the reader process and the pump, and release the pipe."""
        self._stop.set()
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
        self._pump.join(timeout=5)
        self._receiver.close()


class _LocalRows:
    """Batches read in this process (small files)."""

    def __init__(self, data: bytes, opts: ImportOptions, region: str) -> None:
        self._rows = read_rows(data, opts, region)

    def __iter__(self) -> Iterator[Batch]:
        return self._rows

    def close(self) -> None:
        """Stop reading."""
        self._rows.close()


def batches(data: bytes, opts: ImportOptions, region: str) -> _WorkerRows | _LocalRows:
    """Batches of normalized rows (iterate, then ``close``): a separate process for large files."""
    if len(data) >= WORKER_BYTES:
        return _WorkerRows(data, opts, region)
    return _LocalRows(data, opts, region)


__all__ = [
    "BATCH_ROWS",
    "CIVICRM_FLAGS",
    "INVALID_EMAIL_FIELD",
    "WORKER_BYTES",
    "Batch",
    "ImportOptions",
    "Issue",
    "Row",
    "batches",
    "civicrm_flags",
    "first_rows",
    "read_rows",
    "why",
]
