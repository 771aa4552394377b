"""Importing a vCard, CSV or JSON file into the vault: all or nothing, idempotent, deduplicated.

    import_contacts(vault, data, ImportOptions(...), progress) -> ImportReport

How, with the reasons:
- Everything happens in one transaction. Rows come in batches (``import_rows.py``,
  read in a separate process for large files) and are matched and written as they come, so
  reading, sealing and writing overlap. A file-level refusal anywhere in the file
  (``ImportFailed``, naming the line) or any failure while writing rolls the whole transaction
  back: nothing was imported. A dry run rolls back on purpose, so it changes nothing.
- Matching: each row is compared with the rows before it and with the vault
  (``vault/interchange/blind_index.py``, every candidate confirmed against the decrypted contact) by
  casefolded email and E.164 phone; a row with neither is compared by its whole content.
- A row matching exactly one contact (in the vault or earlier in the file) is merged into it
  (``contact_merge.py``: unions, scalars filled only where empty). Rows of one file that match
  each other become one contact: if the first was already written, it is updated at the end
  (or, when a later row joins two written ones, one is merged into the other and shredded,
  inside the same transaction).
- A row matching two or more different contacts that were in the vault before is *skipped as
  ambiguous* and reported with their ids: choosing one would be a guess; the user can ``kith
  merge`` them and import again.
- Importing the same file twice adds nothing: every row matches what the first run stored, so
  its contacts are reported ``unchanged``.
- Consent rules from CiviCRM flags (``import_rows.py``) are applied to new contacts in one
  batch, and to existing ones only where they are not already denied.
- Memory: a contact written during the import keeps only its lines, keys and digests in memory;
  its draft is read back from the vault in the rare case a later row of the file merges into it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from vault import ids
from vault.domain import preferences as prefs_mod
from vault.domain.contacts import RECORD_TYPE, decode, encode
from vault.domain.model import Contact, ContactDraft
from vault.errors import ImportFailed, InvalidInput
from vault.interchange.blind_index import BlindIndex, content_value, fresh_fingerprint, keys_of
from vault.interchange.contact_merge import fits, merge_drafts
from vault.interchange.detect import check_bytes, detect_format
from vault.interchange.import_report import ImportOptions, ImportReport, Issue, Item
from vault.interchange.import_rows import Row, batches, why

if TYPE_CHECKING:
    from vault.api import Vault

Progress = Callable[[str, int, int], None]
Key = tuple[str, str]
WRITE_BATCH = 5000
PREFETCH_CONTACTS = 1000  # below this, decrypting candidates one by one is cheaper
_NEW, _CREATED, _EXISTING = 0, 1, 2  # what an entry is; a target is chosen in reverse order


class _Entry:
    """A contact the import creates or changes; ``alias`` >= 0 once folded into another.

    ``draft`` is None for a contact already written (``_CREATED``), or in the vault and not
    changed so far (``_EXISTING``), until a later row needs it; ``before`` is the draft as
    stored, to tell whether it changed.
    """

    __slots__ = ("alias", "before", "denies", "digests", "draft", "fingerprint", "kind",
                 "lines", "record")  # fmt: skip

    def __init__(self, draft: ContactDraft | None, kind: int, record: bytes = b"") -> None:
        self.draft = draft
        self.before = draft if kind == _EXISTING else None
        self.kind = kind
        self.record = record
        self.lines: list[int] = []
        self.denies: set[str] = set()
        self.alias = -1
        self.digests: list[tuple[int, int]] = []
        self.fingerprint = ""


class _Matcher:
    """Rows to entries: in-file matches by key, vault matches through the blind index."""

    def __init__(self, vault: Vault, index: BlindIndex) -> None:
        self.repo = vault.contacts
        self.index = index
        self.entries: list[_Entry] = []
        self.pending: list[int] = []  # new entries not written yet
        self.owner: dict[Key, int] = {}
        self.contents: dict[bytes, int] = {}
        self.by_record: dict[bytes, int] = {}
        self.shared: set[Key] = set()  # keys two vault contacts already share
        # What each decrypted candidate holds (its keys, or its content when it has none), kept
        # small so a re-import of 100,000 rows does not hold 100,000 contacts twice. Whole
        # contacts are kept only while the current row is matched.
        self.known: dict[bytes, tuple[frozenset[Key], bytes]] = {}
        self.opened: dict[bytes, Contact] = {}

    def prefetch(self) -> None:
        """Learn the keys of every contact in one pass that opens only emails and phones.

        For a file about as large as the vault (a re-import), this replaces one decryption of
        each candidate the truncated index offers, true or false, with a cheap bulk pass; the
        contacts that do match are then opened once each.
        """
        for record_id, values in self.repo.records.iter_fields(RECORD_TYPE, ("emails", "phones")):
            attrs = decode(values)
            keys = frozenset(keys_of(attrs["emails"], attrs["phones"]))
            if keys:
                self.known[record_id] = (keys, b"")

    def find(self, i: int) -> int:
        while self.entries[i].alias >= 0:
            i = self.entries[i].alias
        return i

    def _contact(self, record_id: bytes) -> Contact:
        if record_id not in self.opened:
            self.opened[record_id] = self.repo.get_by_id(record_id)
        return self.opened[record_id]

    def _facts(self, record_id: bytes) -> tuple[frozenset[Key], bytes]:
        if record_id not in self.known:
            contact = self._contact(record_id)
            keys = frozenset(keys_of(contact.emails, contact.phones))
            self.known[record_id] = (keys, b"" if keys else content_value(contact.draft()))
        return self.known[record_id]

    def _in_vault(self, key: Key) -> set[bytes]:
        return {rid for rid in self.index.candidates(*key) if key in self._facts(rid)[0]}

    def _same_content(self, value: bytes) -> set[bytes]:
        return {
            rid for rid in self.index.candidates("content", value)
            if self._facts(rid)[1] == value
        }  # fmt: skip

    def _entry_for(self, record_id: bytes) -> int:
        if record_id in self.by_record:
            return self.find(self.by_record[record_id])
        contact = self._contact(record_id)
        self.entries.append(_Entry(contact.draft(), _EXISTING, record_id))
        i = self.by_record[record_id] = len(self.entries) - 1
        for key in keys_of(contact.emails, contact.phones):
            if key in self.owner and self.find(self.owner[key]) != i:
                self.shared.add(key)
            self.owner.setdefault(key, i)
        return i

    def draft_of(self, i: int) -> ContactDraft:
        """The draft of entry ``i``, read back from the vault if it was already written."""
        entry = self.entries[i]
        if entry.draft is None:
            entry.draft = entry.before = self.repo.get_by_id(entry.record).draft()
        return entry.draft

    def _matches(self, keys: set[Key], content: bytes) -> set[int]:
        """Roots of the entries a row matches, in the file or (through the index) the vault."""
        matched: set[int] = set()
        found: set[bytes] = set()
        for key in keys:
            if key in self.owner and key not in self.shared:
                matched.add(self.find(self.owner[key]))
            else:
                found |= self._in_vault(key)
        if content in self.contents:
            matched.add(self.find(self.contents[content]))
        elif content:
            found |= self._same_content(content)
        return matched | {self._entry_for(rid) for rid in found}

    def add(self, row: Row, out: ImportReport) -> list[bytes]:
        """Attach ``row`` to a new or matching entry, or report why not.

        Returns the ids of contacts written earlier in this import that the row folded into
        another (they are shredded at the end).
        """
        keys = keys_of(row.draft.emails, row.draft.phones)
        content = b"" if keys else content_value(row.draft)
        self.opened.clear()
        matched = self._matches(keys, content)
        existing = sorted({e.record for i in matched if (e := self.entries[i]).kind == _EXISTING})
        if len(existing) > 1:
            out.skipped.append(Issue(row.line, "ambiguous",
                                     f"matches {len(existing)} contacts in the vault; merge them "
                                     "with `kith merge`, then import again",
                                     tuple(ids.full(e) for e in existing)))  # fmt: skip
            return []
        folded: list[int] = []
        if matched:
            target = max(matched, key=lambda i: (self.entries[i].kind, -i))
            folded = sorted(matched - {target})
            if not self._fold(target, folded, row, out):
                return []
        else:
            self.entries.append(_Entry(row.draft, _NEW))
            target = len(self.entries) - 1
            self.pending.append(target)
        entry = self.entries[target]
        entry.lines.append(row.line)
        entry.denies |= row.denies
        if entry.kind == _EXISTING and entry.draft is entry.before:
            entry.draft = entry.before = None  # unchanged: read back only if a later row needs it
        for key in keys:
            self.owner.setdefault(key, target)
        if content:
            self.contents.setdefault(content, target)
        return [self.entries[i].record for i in folded if self.entries[i].kind == _CREATED]

    def _fold(self, target: int, folded: list[int], row: Row, out: ImportReport) -> bool:
        """Merge entries ``folded`` and ``row`` into ``target``; False (reported) if too large."""
        draft = self.draft_of(target)
        for i in folded:
            draft = merge_drafts(draft, self.draft_of(i))
        draft = merge_drafts(draft, row.draft)
        problem = fits(draft)
        if problem:
            out.errors.append(Issue(row.line, "too large", problem))
            return False
        entry = self.entries[target]
        if draft != entry.draft:  # an unchanged contact keeps one copy of its draft, not two
            entry.draft = draft
        for i in folded:
            entry.lines += self.entries[i].lines
            entry.denies |= self.entries[i].denies
            self.entries[i].alias = target
        return True


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _consent(denies: Iterable[str]) -> prefs_mod.PreferenceChange:
    return prefs_mod.PreferenceChange(
        deny=tuple(sorted(denies)),
        consent_source="import",
        consent_text="CiviCRM export: Do Not Email / Phone / SMS / Mail and Is Opt Out flags",
    )


class _Writer:
    """Writes what the matcher decided: new contacts in batches while reading, the rest at the
    end. Nothing is written in a dry run."""

    def __init__(
        self, vault: Vault, index: BlindIndex, matcher: _Matcher, out: ImportReport
    ) -> None:
        self.vault, self.index, self.matcher, self.out = vault, index, matcher, out
        self.doomed: list[bytes] = []  # written, then folded into another: shred at the end

    def flush(self, least: int) -> None:
        """Write the pending new contacts if there are at least ``least`` of them."""
        matcher = self.matcher
        batch = [i for i in matcher.pending if matcher.entries[i].alias < 0]
        if self.out.dry_run or len(batch) < max(least, 1):
            return
        matcher.pending = []
        now = int(time.time())
        entries = [matcher.entries[i] for i in batch]
        values = [encode(e.draft) for e in entries if e.draft is not None]
        made = self.vault.records.create_many(
            RECORD_TYPE, values, self.vault.private_segment, created=now
        )
        for i, entry, record_id, stored in zip(batch, entries, made, values, strict=True):
            assert entry.draft is not None
            entry.kind, entry.record = _CREATED, record_id
            entry.digests = self.index.full_digests(entry.draft)
            entry.fingerprint = fresh_fingerprint(now, len(stored))
            entry.draft = entry.before = None  # read back only if a later row merges into it
            matcher.by_record[record_id] = i

    def finish(self, progress: Progress | None) -> None:
        """Write everything left: new contacts, changes, shreds, consent, the blind index."""
        self.flush(1)
        matcher, out = self.matcher, self.out
        roots = [e for e in matcher.entries if e.alias < 0]
        matcher.entries = []
        created = [e for e in roots if e.kind != _EXISTING]
        changed: list[tuple[_Entry, set[str]]] = []
        for entry in roots:
            if entry.kind == _EXISTING:
                rules = dict(self.vault.preferences.get(entry.record).rules) if entry.denies else {}
                missing = {r for r in entry.denies if rules.get(r) is not False}
                item = Item(ids.full(entry.record), sorted(entry.lines))
                if entry.draft != entry.before or missing:
                    out.merged.append(item)
                    changed.append((entry, missing))
                else:
                    out.unchanged.append(item)
        out.added += [Item(ids.full(e.record), sorted(e.lines)) for e in created]
        out.preferences += sum(1 for e in created if e.denies) + sum(1 for _, m in changed if m)
        if out.dry_run:
            return
        self._write_changes(created, changed, progress)

    def _write_changes(
        self, created: list[_Entry], changed: list[tuple[_Entry, set[str]]],
        progress: Progress | None,
    ) -> None:  # fmt: skip
        vault, index, now = self.vault, self.index, int(time.time())
        repo = vault.contacts
        growth: dict[str, int] = {}
        for entry in created:
            for code, _ in entry.digests:
                kind = ("email", "phone", "content")[code - 1]
                growth[kind] = growth.get(kind, 0) + 1
        index.resize_for(growth)
        edited = [e for e in created if e.draft is not None and e.draft != e.before]
        for n, entry in enumerate([*edited, *(e for e, _ in changed)], 1):
            assert entry.draft is not None
            repo.update(entry.record, entry.draft)
            entry.digests = index.full_digests(entry.draft)
            entry.fingerprint = index.fingerprints([entry.record])[entry.record]
            if progress and n % 100 == 0:
                progress("finishing", n, len(edited) + len(changed))
        vault.records.shred(self.doomed, vacuum=False)
        index.put_full(
            (e.record, e.fingerprint, e.digests) for e in created + [c for c, _ in changed]
        )
        blank = prefs_mod.Preferences
        consent = [
            (e.record, prefs_mod.apply(blank(ids.full(e.record)), _consent(e.denies), now))
            for e in created
            if e.denies
        ]
        if consent:
            vault.preferences.add_many(consent)
        for entry, missing in changed:
            if missing:
                vault.preferences.change(entry.record, _consent(missing), now=now)


def import_contacts(
    vault: Vault, data: bytes, options: ImportOptions, progress: Progress | None = None
) -> ImportReport:
    """Import ``data`` (the rules are in the module docstring); raises ``ImportFailed``."""
    try:
        check_bytes(data)
        fmt = options.fmt or detect_format(data)
    except InvalidInput as error:
        raise ImportFailed(f"({why(error)})") from None
    out = ImportReport(fmt=fmt, dry_run=options.dry_run)
    total_lines = data.count(b"\n") + 1
    source = batches(data, options, options.region or vault.region)
    try:
        with vault.live_store.transaction():
            index = BlindIndex(vault)
            index.refresh()
            matcher = _Matcher(vault, index)
            if total_lines * 4 >= vault.contacts.count() >= PREFETCH_CONTACTS:
                matcher.prefetch()
            writer = _Writer(vault, index, matcher, out)
            for batch in source:
                out.take(batch)
                for row in batch.rows:
                    writer.doomed += matcher.add(row, out)
                writer.flush(WRITE_BATCH)
                if progress:
                    progress("importing", batch.line, total_lines)
            if progress:
                progress("importing", total_lines, total_lines)
            writer.finish(progress)
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        source.close()
    if not options.dry_run and (out.added or out.merged):
        vault.drop_indexes()
    return out


__all__ = ["ImportOptions", "ImportReport", "Issue", "Item", "import_contacts"]
