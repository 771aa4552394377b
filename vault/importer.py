"""Importing a vCard, CSV or JSON file into the vault: all or nothing, idempotent, deduplicated.

    import_contacts(vault, data, ImportOptions(...), progress) -> Outcome

Three passes, with their reasons:
1. Read and normalize every record (``vault/interchange`` then ``vault/validate.py``, lenient:
   a phone that does not parse is kept as typed) before touching the vault. A file-level
   problem (encoding, binary data, broken structure, a ragged row, a value over 64 KiB) raises
   ``ImportFailed`` naming the line, and nothing was written.
2. Match, inside one transaction: each row is compared with the rows before it and with the
   vault (``vault/blind_index.py``, confirmed against the decrypted contact) by casefolded email
   and E.164 phone; a row with neither is compared by its whole content.
3. Write, in the same transaction: new contacts in batches (``create_many``), merged contacts,
   their blind-index entries and consent preferences. Any failure rolls everything back; a dry
   run rolls back on purpose, so it changes nothing.

Decisions, with their reasons:
- A row matching exactly one contact (in the vault or earlier in the file) is merged into it
  (``vault/merge.py``: unions, scalars filled only where empty). Rows of one file that match
  each other become one contact.
- A row matching two or more different vault contacts is *skipped as ambiguous* and reported
  with their ids: choosing one would be a guess; the user can ``kith merge`` them and import
  again (importing is idempotent).
- Importing the same file twice adds nothing: every row matches what the first run stored, so
  the contacts are reported as ``unchanged``.
- An invalid email does not reject its row: the text is kept in the custom field ``invalid
  email`` and a warning names the line (nothing typed is silently lost, as with phones).
- A row that cannot become a contact at all (no name, email or phone; a value over the model's
  limits) is *rejected*: reported with its line, the rest of the file is imported.
- vCard groups (``KIND:group``) are skipped: they are lists of members, not people.
- CiviCRM's ``Do Not Email``, ``Do Not Phone``, ``Do Not SMS``, ``Do Not Mail`` and ``Is Opt
  Out`` become consent preferences (``vault/preferences.py``): denied email, phone, SMS, post,
  and every bulk email kind; "no" adds nothing (consent is opt-in: a missing "do not" is not a
  yes). A consent entry records that they came from an import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from vault import ids
from vault import preferences as prefs_mod
from vault.blind_index import (
    BlindIndex,
    content_value,
    entries_of,
    fresh_fingerprint,
    keys_of,
)
from vault.contacts import RECORD_TYPE, encode
from vault.errors import ImportFailed, InvalidInput
from vault.interchange import read_contacts
from vault.interchange.detect import check_bytes, detect_format
from vault.merge import fits, merge_drafts
from vault.model import Contact, ContactDraft
from vault.validate import normalize_draft, normalize_email

if TYPE_CHECKING:
    from vault.api import Vault

Progress = Callable[[str, int, int], None]
Key = tuple[str, str]
WRITE_BATCH = 5000
INVALID_EMAIL_FIELD = "invalid email"
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
class ImportOptions:
    """What ``kith import`` asks for; ``region`` empty means the vault's default."""

    fmt: str | None = None
    preset: str | None = None
    column_map: Mapping[str, str] | None = None
    region: str = ""
    tags: tuple[str, ...] = ()
    dry_run: bool = False


@dataclass(frozen=True)
class Issue:
    """One line's problem: ``reason`` is a short word, ``message`` the sentence a user reads."""

    line: int
    reason: str
    message: str
    matches: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The report shape."""
        out: dict[str, Any] = {"line": self.line, "reason": self.reason, "message": self.message}
        if self.matches:
            out["matches"] = list(self.matches)
        return out


@dataclass
class Item:
    """One resulting contact and the lines that made it (``id`` is empty in a dry run)."""

    id: str
    lines: list[int]

    def to_json(self) -> dict[str, Any]:
        """The report shape."""
        return {"id": self.id or None, "lines": self.lines}


@dataclass
class Outcome:
    """What an import did (or, in a dry run, would do)."""

    fmt: str
    dry_run: bool
    rows: int = 0
    added: list[Item] = field(default_factory=list)
    merged: list[Item] = field(default_factory=list)
    unchanged: list[Item] = field(default_factory=list)
    skipped: list[Issue] = field(default_factory=list)
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    preferences: int = 0

    def counts(self) -> dict[str, int]:
        """How many of each."""
        return {
            "rows": self.rows, "added": len(self.added), "merged": len(self.merged),
            "unchanged": len(self.unchanged), "skipped": len(self.skipped),
            "errors": len(self.errors), "warnings": len(self.warnings),
            "preferences": self.preferences,
        }  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The ``kith import --json`` report."""
        return {
            "dry_run": self.dry_run,
            "format": self.fmt,
            "counts": self.counts(),
            "added": [i.to_json() for i in self.added],
            "merged": [i.to_json() for i in self.merged],
            "unchanged": [i.to_json() for i in self.unchanged],
            "skipped": [i.to_json() for i in self.skipped],
            "errors": [i.to_json() for i in self.errors],
            "warnings": [i.to_json() for i in self.warnings],
        }


class _Row:
    __slots__ = ("denies", "draft", "keys", "line")

    def __init__(self, line: int, draft: ContactDraft, denies: frozenset[str]) -> None:
        self.line = line
        self.draft = draft
        self.keys = keys_of(draft.emails, draft.phones)
        self.denies = denies


class _Entry:
    """A contact the import will create or change; ``alias`` >= 0 once folded into another."""

    __slots__ = ("alias", "before", "denies", "draft", "existing", "lines")

    def __init__(self, draft: ContactDraft, existing: bytes | None = None) -> None:
        self.draft = draft
        self.existing = existing
        self.before = draft if existing else None
        self.lines: list[int] = []
        self.denies: set[str] = set()
        self.alias = -1


def _why(error: InvalidInput) -> str:
    return (error.detail or error.message).strip().strip("()")


# -- pass 1: read and normalize -------------------------------------------------------------


def _civicrm_flags(draft: ContactDraft) -> tuple[ContactDraft, frozenset[str]]:
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


def _salvage_emails(draft: ContactDraft, line: int, out: Outcome) -> ContactDraft | None:
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


def _normalize(draft: ContactDraft, region: str, line: int, out: Outcome) -> ContactDraft | None:
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
    out.errors.append(Issue(line, "invalid", _why(problem)))
    return None


def _read(data: bytes, opts: ImportOptions, region: str, out: Outcome,
          progress: Progress | None) -> list[_Row]:  # fmt: skip
    total_lines = data.count(b"\n") + 1
    rows: list[_Row] = []
    try:
        for record in read_contacts(
            data, fmt=opts.fmt, preset=opts.preset, column_map=opts.column_map
        ):
            out.rows += 1
            if progress and out.rows % 1000 == 0:
                progress("reading", record.line, total_lines)
            if record.is_group:
                out.skipped.append(
                    Issue(record.line, "group", "a contact group (a list of members), not a person")
                )
                continue
            draft = record.draft
            if opts.tags:
                draft = replace(draft, tags=draft.tags + opts.tags)
            draft, denies = _civicrm_flags(draft)
            clean = _normalize(draft, region, record.line, out)
            if clean is not None:
                rows.append(_Row(record.line, clean, denies))
    except InvalidInput as error:
        raise ImportFailed(f"({_why(error)})") from None
    if progress:
        progress("reading", total_lines, total_lines)
    return rows


# -- pass 2: match ----------------------------------------------------------------------------


class _Matcher:
    """Rows to entries: in-file matches by key, vault matches through the blind index."""

    def __init__(self, vault: Vault, index: BlindIndex) -> None:
        self.repo = vault.contacts
        self.index = index
        self.entries: list[_Entry] = []
        self.owner: dict[Key, int] = {}
        self.contents: dict[bytes, int] = {}
        self.by_record: dict[bytes, int] = {}
        self.shared: set[Key] = set()  # keys two vault contacts already share
        # What each decrypted candidate holds (its keys, or its content when it has none):
        # kept small on purpose, so a re-import of 100,000 rows does not hold 100,000 contacts
        # twice. Whole contacts are kept only while the current row is matched.
        self.known: dict[bytes, tuple[frozenset[Key], bytes]] = {}
        self.opened: dict[bytes, Contact] = {}

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
        entry = _Entry(contact.draft(), record_id)
        self.entries.append(entry)
        i = self.by_record[record_id] = len(self.entries) - 1
        for key in keys_of(contact.emails, contact.phones):
            if key in self.owner and self.find(self.owner[key]) != i:
                self.shared.add(key)
            self.owner.setdefault(key, i)
        return i

    def _matches(self, row: _Row, content: bytes) -> set[int]:
        """Roots of the entries ``row`` matches, in the file or (through the index) the vault."""
        matched: set[int] = set()
        found: set[bytes] = set()
        for key in row.keys:
            if key in self.owner and key not in self.shared:
                matched.add(self.find(self.owner[key]))
            else:
                found |= self._in_vault(key)
        if content in self.contents:
            matched.add(self.find(self.contents[content]))
        elif content:
            found |= self._same_content(content)
        return matched | {self._entry_for(rid) for rid in found}

    def add(self, row: _Row, out: Outcome) -> None:
        """Attach ``row`` to a new or existing entry, or report why not."""
        content = b"" if row.keys else content_value(row.draft)
        self.opened.clear()
        matched = self._matches(row, content)
        existing = sorted({e for i in matched if (e := self.entries[i].existing) is not None})
        if len(existing) > 1:
            out.skipped.append(Issue(row.line, "ambiguous",
                                     f"matches {len(existing)} contacts in the vault; merge them "
                                     "with `kith merge`, then import again",
                                     tuple(ids.full(e) for e in existing)))  # fmt: skip
            return
        if matched:
            target = next((i for i in matched if self.entries[i].existing), min(matched))
            if not self._fold(target, sorted(matched - {target}), row, out):
                return
        else:
            self.entries.append(_Entry(row.draft))
            target = len(self.entries) - 1
        entry = self.entries[target]
        entry.lines.append(row.line)
        entry.denies |= row.denies
        for key in row.keys:
            self.owner.setdefault(key, target)
        if content:
            self.contents.setdefault(content, target)

    def _fold(self, target: int, folded: list[int], row: _Row, out: Outcome) -> bool:
        """Merge entries ``folded`` and ``row`` into ``target``; False (reported) if too large."""
        draft = self.entries[target].draft
        for i in folded:
            draft = merge_drafts(draft, self.entries[i].draft)
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


# -- pass 3: write ---------------------------------------------------------------------------


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back."""


def _preference_change(denies: set[str]) -> prefs_mod.PreferenceChange:
    return prefs_mod.PreferenceChange(
        deny=tuple(sorted(denies)),
        consent_source="import",
        consent_text="CiviCRM export: Do Not Email / Phone / SMS / Mail and Is Opt Out flags",
    )


def _missing_denies(vault: Vault, record_id: bytes, denies: set[str]) -> set[str]:
    if not denies:
        return set()
    rules = dict(vault.preferences.get(record_id).rules)
    return {rule for rule in denies if rules.get(rule) is not False}


def _classify(vault: Vault, roots: list[_Entry], out: Outcome
              ) -> tuple[list[_Entry], list[tuple[_Entry, set[str]]]]:  # fmt: skip
    """New entries, and existing ones that change (with the consent rules they lack)."""
    fresh = [e for e in roots if e.existing is None]
    changed: list[tuple[_Entry, set[str]]] = []
    for entry in roots:
        if entry.existing is not None:
            missing = _missing_denies(vault, entry.existing, entry.denies)
            item = Item(ids.full(entry.existing), sorted(entry.lines))
            if entry.draft != entry.before or missing:
                out.merged.append(item)
                changed.append((entry, missing))
            else:
                out.unchanged.append(item)
    return fresh, changed


def _store(vault: Vault, index: BlindIndex, batch: list[_Entry]) -> list[bytes]:
    """Seal, insert and index one batch of new contacts. Every field of a new contact is at
    version 1, so its index fingerprint is known without reading it back."""
    now = int(time.time())
    values = [encode(e.draft) for e in batch]
    made = vault.records.create_many(RECORD_TYPE, values, vault.private_segment, created=now)
    index.put_many(
        (rid, e.draft, fresh_fingerprint(now, len(v)))
        for rid, e, v in zip(made, batch, values, strict=True)
    )
    return made


def _create(vault: Vault, index: BlindIndex, fresh: list[_Entry], out: Outcome,
            progress: Progress | None, total: int) -> None:  # fmt: skip
    """Store the new contacts in batches, index them, and give them their consent rules."""
    now = int(time.time())
    new_prefs: list[tuple[bytes, prefs_mod.Preferences]] = []
    for start in range(0, len(fresh), WRITE_BATCH):
        batch = fresh[start : start + WRITE_BATCH]
        made = [b""] * len(batch) if out.dry_run else _store(vault, index, batch)
        for record_id, entry in zip(made, batch, strict=True):
            out.added.append(Item(ids.full(record_id), sorted(entry.lines)))
            if entry.denies:
                blank = prefs_mod.Preferences(ids.full(record_id))
                change = _preference_change(entry.denies)
                new_prefs.append((record_id, prefs_mod.apply(blank, change, now)))
        if progress:
            progress("writing", start + len(batch), total)
    out.preferences += len(new_prefs)
    if new_prefs and not out.dry_run:
        vault.preferences.add_many(new_prefs)


def _update(vault: Vault, index: BlindIndex, changed: list[tuple[_Entry, set[str]]],
            out: Outcome) -> None:  # fmt: skip
    """Write the merged contacts, re-index them, add the consent rules they lack."""
    now = int(time.time())
    repo = vault.contacts
    for entry, missing in changed:
        out.preferences += bool(missing)
        if out.dry_run or entry.existing is None:
            continue
        repo.update(entry.existing, entry.draft)
        index.reindex([(entry.existing, entry.draft)])
        if missing:
            vault.preferences.change(entry.existing, _preference_change(missing), now=now)


def _growth(fresh: list[_Entry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in fresh:
        for kind, _ in entries_of(entry.draft):
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def import_contacts(
    vault: Vault, data: bytes, options: ImportOptions, progress: Progress | None = None
) -> Outcome:
    """Import ``data`` (the rules are in the module docstring); raises ``ImportFailed``."""
    try:
        check_bytes(data)
        fmt = options.fmt or detect_format(data)
    except InvalidInput as error:
        raise ImportFailed(f"({_why(error)})") from None
    out = Outcome(fmt=fmt, dry_run=options.dry_run)
    rows = _read(data, options, options.region or vault.region, out, progress)
    store = vault.live_store
    try:
        with store.transaction():
            index = BlindIndex(vault)
            index.refresh()
            matcher = _Matcher(vault, index)
            total = len(rows)
            rows.reverse()  # consumed from the end, so each row's draft can be freed once matched
            while rows:
                matcher.add(rows.pop(), out)
                if progress and len(rows) % 1000 == 0:
                    progress("matching", total - len(rows), total)
            roots = [e for e in matcher.entries if e.alias < 0]
            matcher.entries = []
            fresh, changed = _classify(vault, roots, out)
            if not options.dry_run:
                index.resize_for(_growth(fresh))
            _create(vault, index, fresh, out, progress, len(fresh))
            _update(vault, index, changed, out)
            if options.dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if not options.dry_run and (out.added or out.merged):
        vault.drop_indexes()
    return out


__all__ = [
    "CIVICRM_FLAGS",
    "INVALID_EMAIL_FIELD",
    "ImportOptions",
    "Issue",
    "Item",
    "Outcome",
    "import_contacts",
]
