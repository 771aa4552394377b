"""Every error the vault can raise, as one tree.

The docstring of each class is the one line a user reads; ``exit_code`` is what the CLI exits
with. Third-party errors are mapped to these where they enter the package, so nothing above
``vault`` ever sees a library exception.

    KithError (1)
    +-- BackupExists (1)
    +-- BackupIOError (1)
    +-- BackupTargetNotEmpty (1)
    +-- DiskFull (1)           no space left: nothing was changed (documented, README)
    +-- EditConflict (1)       the same attribute was changed elsewhere since it was read
    +-- ExportExists (1)
    +-- RecoveryKeyExists (1)
    +-- TransportFailed (1)
    +-- VaultBusy (1)          another Kith process holds the database
    +-- VaultExists (1)
    +-- VaultLocked (1)
    +-- VaultReplaced (1)     another process changed the passphrase under this one
    +-- CannotUnlock (3)       wrong passphrase OR damaged header: one class, no oracle
    +-- NotFound (4)
    |   +-- AmbiguousId (4)
    |   |   `-- AmbiguousContact (4)
    |   +-- NoRecoveryKey (4)
    |   +-- NoSuchSavedSearch (4)
    |   +-- NoSuchSegment (4)
    |   `-- NoVault (4)
    +-- InvalidInput (5)
    |   +-- BadDate (5)
    |   |   `-- BadDateTime (5)
    |   +-- BadFilter (5)
    |   +-- EventFull (5)
    |   +-- IdentityRequired (5)
    |   +-- ImportFailed (5)
    |   +-- LastSegment (5)
    |   +-- MergeConflict (5)
    |   +-- NotText (5)        a lone surrogate / invalid UTF-8 where text is expected
    |   +-- NothingToMerge (5)
    |   +-- SegmentNameTaken (5)
    |   +-- StanceOutOfRange (5)
    |   +-- UnknownChannel (5)
    |   +-- UnknownKind (5)
    |   +-- UnknownRelationKind (5)
    |   `-- UnsafeParameters (5)
    `-- IntegrityError (6)     every AEAD or signature failure, and a damaged database
        +-- BadBackup (6)
        +-- NoMatchingKey (6)  a backup no given key or passphrase opens
        `-- RolledBack (6)     vault.db older than its header (format 2)
"""

from __future__ import annotations


class KithError(Exception):
    """Kith failed."""

    exit_code = 1

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail or "")
        self.detail = detail

    @property
    def message(self) -> str:
        """The one line a user reads: the class docstring, then the detail if any.

        Details are written by Kith itself and never carry contact data or key material.
        """
        head = (type(self).__doc__ or "Kith failed.").strip().splitlines()[0]
        if not self.detail:
            return head
        return f"{head.rstrip('.')}: {self.detail.strip('()').rstrip('.')}."


class CannotUnlock(KithError):
    """Cannot unlock the vault: wrong passphrase or damaged header."""

    exit_code = 3


class NotFound(KithError):
    """Not found."""

    exit_code = 4


class NoVault(NotFound):
    """No vault here: run `kith init` to create one, or pass --vault DIR."""


class AmbiguousId(NotFound):
    """That id prefix matches more than one record: type more of it."""


class InvalidInput(KithError):
    """Invalid input."""

    exit_code = 5


class NotText(InvalidInput):
    """Not valid text (a stray byte or a lone surrogate); nothing was changed."""


class UnsafeParameters(InvalidInput):
    """Those key-derivation parameters are below the safe floor (64 MiB, 3 passes)."""


class IntegrityError(KithError):
    """Integrity check failed: damaged or tampered data."""

    exit_code = 6


class DiskFull(KithError):
    """Disk full: nothing was changed; free some space and try again."""

    # Exit 1 ("other error") on purpose: the 0-6 contract is frozen and every code in it has a
    # meaning; scripts tell this case apart by the line (README, docs/threat-model.md).


class EditConflict(KithError):
    """This contact was changed elsewhere since you opened it; nothing was saved: open it again."""


class VaultExists(KithError):
    """A vault already exists there."""


class VaultBusy(KithError):
    """The vault is busy in another Kith process; try again in a moment."""


class VaultLocked(KithError):
    """The vault is locked."""


class NoMatchingKey(IntegrityError):
    """No key or passphrase you gave can open this backup."""


# -- organizing records (issue 6: segments, relationships, targets, retention) -----------------


class SegmentNameTaken(InvalidInput):
    """A segment with that name already exists: choose another name."""


class NoSuchSegment(NotFound):
    """No segment with that name: see `kith segment list`."""


class LastSegment(InvalidInput):
    """That would leave the record in no segment at all: delete the record instead."""


class BadDate(InvalidInput):
    """Dates are written YYYY-MM-DD (for example 2025-03-31)."""


class StanceOutOfRange(InvalidInput):
    """A stance is a whole number from 1 (strong supporter) to 5 (strong opponent)."""


class UnknownRelationKind(InvalidInput):
    """Unknown relationship kind (works-with, lives-with, recruited-by, member-of, reports-to)."""


# -- organizing records (issue 6: interactions, events, preferences, saved searches) -----------


class BadDateTime(BadDate):
    """Dates are written YYYY-MM-DD or YYYY-MM-DDTHH:MM, in UTC (for example 2026-06-01T18:30)."""


class UnknownKind(InvalidInput):
    """Unknown interaction kind (email-sent, email-received, call, sms, meeting, event-attended, petition-signed, donation, note, custom)."""  # noqa: E501


class UnknownChannel(InvalidInput):
    """Unknown channel or message kind (channels: email, sms, phone, post, in-person, signal, messenger; kinds: news, campaign-alerts, events, fundraising)."""  # noqa: E501


class BadFilter(InvalidInput):
    """Invalid search filter (see docs/organizing-guide.md, "Saved searches")."""


class EventFull(InvalidInput):
    """The event is full: its capacity is reached."""


class AmbiguousContact(AmbiguousId):
    """More than one contact has that email or phone: sign them up by id instead."""


class NoSuchSavedSearch(NotFound):
    """No saved search with that name: see `kith saved list`."""


# -- backups (issue 4) --------------------------------------------------------------------------


class BadBackup(IntegrityError):
    """The backup is damaged, was tampered with, or is not a Kith backup; nothing was written."""


class BackupTargetNotEmpty(KithError):
    """The restore target must be a new or empty folder; nothing was written."""


class BackupExists(KithError):
    """A file with that name already exists, and backups are never overwritten: choose another --out."""  # noqa: E501


class NoRecoveryKey(NotFound):
    """This vault has no recovery key yet: run `kith recovery-key create` first."""


class RecoveryKeyExists(KithError):
    """This vault already has a recovery key: pass --replace to make a new one (older backups still need the old key)."""  # noqa: E501


class IdentityRequired(InvalidInput):
    """This backup is encrypted to age keys: pass --identity FILE (a file with an AGE-SECRET-KEY-1... line)."""  # noqa: E501


# -- import and export (issue 3) ------------------------------------------------------------------


class ImportFailed(InvalidInput):
    """Nothing was imported."""


class ExportExists(KithError):
    """A file with that name already exists, and exports never overwrite: choose another --out."""


class MergeConflict(InvalidInput):
    """More than one of these contacts is a target: keep one with `kith target clear ID` first."""


class NothingToMerge(InvalidInput):
    """Give at least two different contacts to merge."""


class BackupIOError(KithError):
    """Could not read or write a backup file (disk full, read-only or removed?); nothing was kept."""  # noqa: E501


# -- outreach (issue 8) ---------------------------------------------------------------------------


class TransportFailed(KithError):
    """Could not reach the mail server or SMS gateway; nothing more was sent (run send again to resume)."""  # noqa: E501


# -- storage format 2 (issue 12) ------------------------------------------------------------------


class RolledBack(IntegrityError):
    """The vault database is older than its header (an old copy was put back?): refusing to open it."""  # noqa: E501


class VaultReplaced(KithError):
    """The vault was re-encrypted by another Kith process (a passphrase change): lock it and unlock it again; nothing was written."""  # noqa: E501
