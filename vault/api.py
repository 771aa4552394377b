"""The vault as the rest of Kith sees it: create, unlock, use, lock, burn.

    Vault.create(dir, passphrase)  -> an unlocked Vault (calibrated Argon2id unless told)
    Vault.open(dir, passphrase)    -> an unlocked Vault, or CannotUnlock / NoVault
    vault.contacts                 -> ContactRepository
    vault.search_index()           -> SearchIndex (loaded from its sealed chunks on first use)
    vault.change_passphrase(new)   -> a new VMK: database re-encrypted, headers rewritten
    vault.lock()                   -> closes the database and drops every key reference
    burn(dir)                      -> destroys both header copies first, then the rest

Passphrases are text normalized to NFC and encoded as UTF-8, so the same words typed on two
keyboards (composed or decomposed accents) unlock the same vault.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from vault.core import format2, header, leftovers
from vault.core.files import fsync_directory
from vault.core.identity import DeviceIdentity, load_or_create
from vault.core.private_dirs import make_private_dir
from vault.core.records import RecordStore
from vault.core.search_chunks import ChunkStore
from vault.core.store import Store
from vault.crypto import kdf
from vault.domain import activity_index as _activity
from vault.domain import integrity, segments
from vault.domain.contacts import ContactRepository
from vault.domain.events import EventRepository
from vault.domain.interactions import InteractionRepository
from vault.domain.model import ContactDraft
from vault.domain.preferences import PreferenceRepository
from vault.domain.relationships import RelationshipRepository
from vault.domain.retention import ExpiryOutcome, Plan, Retention
from vault.domain.saved_search import SavedSearchRepository
from vault.domain.search import SearchIndex
from vault.domain.search_store import PersistedIndex
from vault.domain.segments import SegmentRepository
from vault.domain.stats import Engagement, engagement
from vault.domain.targets import TargetRepository
from vault.domain.validate import check_region, normalize_typed
from vault.errors import InvalidInput, NoVault, VaultExists, VaultLocked

Passphrase = str | bytes | bytearray
R = TypeVar("R")
APP_VERSION = "0.1.0"
DEFAULT_REGION = "US"

# What burn cannot do, in the words the CLI and TUI show.
BURN_LIMITS = (
    "Burn destroyed the vault's keys and removed its files. It cannot reach: copies of the vault "
    "or backups made earlier (including disk images and cloud syncs of this folder), data a peer "
    "already received, or old blocks a flash drive (SSD, USB stick, phone) keeps internally after "
    "an overwrite (wear levelling)."
)


def passphrase_bytes(passphrase: Passphrase) -> bytes | bytearray:
    """NFC-normalized UTF-8 bytes of a passphrase; empty passphrases are refused.

    A ``bytearray`` is passed through as is, not copied (the caller normalized it, and wipes it
    after the key derivation: see ``vault/crypto/kdf.py``).
    """
    import unicodedata

    raw = (
        passphrase
        if isinstance(passphrase, bytes | bytearray)
        else unicodedata.normalize("NFC", passphrase).encode("utf-8")
    )
    if not raw:
        raise InvalidInput("(the passphrase is empty)")
    return raw


def is_vault(directory: Path) -> bool:
    """True if ``directory`` holds a vault header."""
    return (directory / header.HEADER_NAME).exists() or (directory / header.BACKUP_NAME).exists()


class Vault:
    """One unlocked vault. Not usable after ``lock()``."""

    def __init__(self, directory: Path, opened: format2.Opened) -> None:
        self.path = directory
        self._use(opened)
        self.notices: list[str] = list(opened.notices)
        self._private: bytes | None = None
        self._index: SearchIndex | None = None
        self._index_lock = threading.Lock()
        self._identity: DeviceIdentity | None = None
        self.activity_cache = _activity.ActivityCache(
            self._build_activity, self._activity_counts, self._activity_marker
        )
        self._repositories: dict[str, Any] = {}
        self._names_marker: tuple[int, int] | None = None

    def _use(self, opened: format2.Opened) -> None:
        self._opened = opened
        self.header = opened.header
        self.vault_id = opened.vault_id
        self.keyring = opened.keyring
        self.store: Store | None = opened.store
        self.records = RecordStore(opened.store, opened.keyring, opened.tree)

    # -- lifecycle -----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        directory: Path,
        passphrase: Passphrase,
        *,
        params: kdf.KdfParams | None = None,
        allow_weak: bool = False,
        region: str = DEFAULT_REGION,
    ) -> Vault:
        """Create a vault in ``directory`` (new or empty) and return it unlocked."""
        secret = passphrase_bytes(passphrase)
        region = check_region(region)
        if is_vault(directory):
            raise VaultExists
        if params is None:
            params, _ = kdf.calibrate()
        kdf.check_creatable(params, allow_weak=allow_weak)
        make_private_dir(directory)  # missing parents 0700 too, whatever the umask
        if any(directory.iterdir()):
            raise VaultExists("(the folder is not empty)")
        os.chmod(directory, stat.S_IRWXU)
        vault = cls(directory, format2.create(directory, secret, params))
        segments.create(vault.live_store, vault.keyring, segments.PRIVATE, "private")
        vault.set_setting("region", region)
        return vault

    @classmethod
    def open(cls, directory: Path, passphrase: Passphrase) -> Vault:
        """Unlock the vault in ``directory``."""
        secret = passphrase_bytes(passphrase)
        if not is_vault(directory):
            raise NoVault
        vault = cls(directory, format2.unlock(directory, secret))
        leftovers.sweep(directory)  # issue 12: a killed backup's snapshot is old state
        return vault

    def lock(self) -> None:
        """Close the database and drop keys and the in-memory indexes."""
        self.drop_indexes()
        self._repositories.clear()
        self._identity = None
        if self.store is not None:
            with contextlib.suppress(Exception):
                self._opened.guard.close()
            self.store.hooks = None
            self.store.close()
            self.store = None
        self.keyring.forget()

    def __enter__(self) -> Vault:
        return self

    def __exit__(self, *exc: object) -> None:
        self.lock()

    @property
    def live_store(self) -> Store:
        """The open store, or ``VaultLocked``."""
        if self.store is None:
            raise VaultLocked
        return self.store

    # -- data ----------------------------------------------------------------------------------

    @property
    def private_segment(self) -> bytes:
        """This vault's private segment id."""
        if self._private is None:
            self._private = segments.private_id(self.live_store)
        return self._private

    def _repository(self, name: str, make: Callable[[], R]) -> R:
        """One repository per unlocked vault, made on first use and dropped at lock.

        Repositories hold no data of their own (every read goes to the store), so one instance
        serves every caller; building one per access decrypted every segment name each time.
        """
        self.live_store  # noqa: B018 - a locked vault raises VaultLocked here, not later
        repo = self._repositories.get(name)
        if repo is None:
            repo = self._repositories[name] = make()
        return cast(R, repo)

    @property
    def contacts(self) -> ContactRepository:
        """The contact repository, with segment names re-read only after a write."""
        repo = self._repository(
            "contacts", lambda: ContactRepository(self.records, self.private_segment)
        )
        marker = self.live_store.change_marker()
        if marker != self._names_marker:
            repo.segment_names = segments.names(self.live_store, self.keyring)
            self._names_marker = marker
        return repo

    def setting(self, key: str, default: str = "") -> str:
        """One vault setting (not secret: stored in the encrypted database)."""
        row = self.live_store.one("SELECT value FROM settings WHERE key = ?", (key,))
        return str(row[0]) if row else default

    def set_setting(self, key: str, value: str) -> None:
        """Set one vault setting."""
        self.live_store.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    @property
    def region(self) -> str:
        """The default phone region for national numbers."""
        return self.setting("region", DEFAULT_REGION)

    def search_index(self, *, progress: Callable[[int, int], None] | None = None) -> SearchIndex:
        """The search index, loaded on first call from its sealed chunks (stale ones rebuilt
        from the records: ``vault/domain/search_store.py``)."""
        with self._index_lock:
            if self._index is None:
                index = SearchIndex()
                for batch in self.search_entries().batches(progress):
                    index.add_entries(batch)
                index.complete = True
                self._index = index
            return self._index

    def search_entries(self) -> PersistedIndex:
        """The persisted search index (the TUI fills its own ``SearchIndex`` from it)."""
        chunks = ChunkStore(self.live_store, self._opened.tree, self.vault_id)
        return PersistedIndex(chunks, self.contacts)

    def check(self) -> int:
        """Verify the whole vault (``check_all``); returns how many contacts were opened."""
        return self.check_all().get("contact", 0)

    def check_all(self) -> dict[str, int]:
        """Verify every page and open every sealed value (``vault/domain/integrity.py``, issue 12).

        Returns how many of each kind were opened; any failure is ``IntegrityError``.
        """
        if self.store is None:
            raise VaultLocked
        return integrity.verify(self._opened, self.records)

    # -- keys ----------------------------------------------------------------------------------

    def change_passphrase(
        self,
        old: Passphrase,
        new: Passphrase,
        *,
        params: kdf.KdfParams | None = None,
        allow_weak: bool = False,
    ) -> None:
        """A new VMK under the new passphrase: the database is re-encrypted under a key derived
        from it and swapped in atomically, and both headers are rewritten in place, so an old
        header with the old passphrase opens nothing current (``vault/core/format2.py``)."""
        old_secret, new_secret = passphrase_bytes(old), passphrase_bytes(new)
        chosen = params or self.header.params
        kdf.check_creatable(chosen, allow_weak=allow_weak)
        self.drop_indexes()
        self._identity = None
        self._use(format2.change_passphrase(self._opened, old_secret, new_secret, chosen))

    def snapshot_header(self, snapshot: Path) -> bytes | None:
        """Header bytes matching a copy of the database (backups; see ``format2``)."""
        return format2.snapshot_header(self._opened, snapshot)

    @property
    def identity(self) -> DeviceIdentity:
        """This vault's device identity (Ed25519 + X25519), created on first use."""
        if self._identity is None:
            self._identity = load_or_create(self.live_store, self.keyring)
        return self._identity

    def info(self) -> dict[str, Any]:
        """Public facts about the vault: no secrets, no contact data."""
        store = self.live_store
        params = self.header.params
        return {
            "path": str(self.path),
            "vault_id": self.vault_id.hex(),
            "format_version": self.header.version,
            "app_version": APP_VERSION,
            "kdf": {
                "algorithm": "argon2id",
                "memory_kib": params.memory_kib,
                "time_cost": params.time_cost,
                "parallelism": params.parallelism,
            },
            "cipher_version": str(store.pragma("cipher_version")),
            "region": self.region,
            "counts": {
                "contacts": self.records.count("contact"),
                "segments": int((store.one("SELECT count(*) FROM segments") or (0,))[0]),
            },
        }

    # -- organizing records (issue 6) ----------------------------------------------------------

    @property
    def segments(self) -> SegmentRepository:
        """Shared segments: create, rename, delete, membership, expiry."""
        return self._repository(
            "segments", lambda: SegmentRepository(self.live_store, self.keyring, self.records)
        )

    @property
    def relationships(self) -> RelationshipRepository:
        """Typed two-way relationships between contacts."""
        return self._repository(
            "relationships", lambda: RelationshipRepository(self.records, self.contacts)
        )

    @property
    def targets(self) -> TargetRepository:
        """Decision-makers and opponents: institution and stance per contact."""
        return self._repository("targets", lambda: TargetRepository(self.records, self.contacts))

    @property
    def retention(self) -> Retention:
        """Expiry dates and the expire run (also called by the TUI on unlock)."""
        return self._repository(
            "retention", lambda: Retention(self.records, self.contacts, self.segments)
        )

    def expire(self, plan: Plan) -> ExpiryOutcome:
        """Apply a retention plan (``retention.plan(now)``), then drop the in-memory indexes.

        The TUI calls this on unlock and the CLI from ``kith expire``: dropping the search and
        activity indexes means nothing just shredded can still be shown from memory.
        """
        outcome = self.retention.apply(plan)
        self.drop_indexes()
        return outcome

    def normalize_contact(
        self, draft: ContactDraft, region: str | None = None, *, base: ContactDraft | None = None
    ) -> ContactDraft:
        """A typed contact, checked and normalized by the vault's one rule
        (``validate.normalize_typed``), with the vault's region unless one is given."""
        return normalize_typed(draft, check_region(region) if region else self.region, base)

    def expire_due(self, now: int | None = None) -> int:
        """Apply every retention rule due at ``now`` (default: the current time); return how
        many records, fields and segments were shredded (0 when nothing was due).

        Run on every unlock by the TUI, so what has expired is gone before anything is shown.
        """
        plan = self.retention.plan(int(time.time()) if now is None else now)
        if plan.empty:
            return 0
        outcome = self.expire(plan)
        return outcome.records_shredded + outcome.fields_removed + outcome.segments_deleted

    def drop_indexes(self) -> None:
        """Forget the in-memory search and activity indexes after a bulk change (import, merge,
        issue 3): they are rebuilt on next use, so nothing merged away is still shown."""
        with self._index_lock:
            if self._index is not None:
                self._index.clear()
                self._index = None
        self.activity_cache.clear()

    def engagement(
        self, *, now: int, since: int | None = None, segment: str | None = None
    ) -> Engagement:
        """Engagement counts for all contacts or one segment's (``vault/domain/stats.py``)."""
        found = self.segments.find(segment) if segment is not None else None
        return engagement(
            self.records.created_times("contact", found.id if found else None),
            self.interactions.index_facts(),
            self.events.all(),
            now=now,
            since=since,
            segment_name=found.name if found else None,
        )

    # -- organizing records, part 2 (issue 6): activity, events, consent, saved searches ------

    @property
    def interactions(self) -> InteractionRepository:
        """The activity log of contacts."""
        return self._repository("interactions", lambda: InteractionRepository(
            self.records, self.private_segment, self.activity_cache
        ))

    @property
    def events(self) -> EventRepository:
        """Events, sign-ups and attendance."""
        return self._repository("events", lambda: EventRepository(
            self.records, self.private_segment, self.interactions, self.activity_cache
        ))

    @property
    def preferences(self) -> PreferenceRepository:
        """Communication preferences and consent; ``may_contact`` for outreach."""
        return self._repository("preferences", lambda: PreferenceRepository(
            self.records, self.private_segment, self.activity_cache
        ))

    @property
    def saved_searches(self) -> SavedSearchRepository:
        """Saved searches and the evaluation of any filter query."""
        return self._repository("saved_searches", lambda: SavedSearchRepository(
            self.records, self.private_segment, self.activity_cache, self.events.members
        ))

    def activity_index(self) -> _activity.ActivityIndex:
        """The in-memory activity index (built on first use, rebuilt when stale)."""
        return self.activity_cache.get()

    def _activity_counts(self) -> _activity.Counts:
        return _activity.Counts(
            self.records.count("contact"),
            self.records.count("interaction"),
            self.records.count("preferences"),
        )

    def _activity_marker(self) -> tuple[int, int]:
        return self.live_store.change_marker()

    def _build_activity(self) -> _activity.ActivityIndex:
        counts = self._activity_counts()
        text = self._index
        index = _activity.build(
            self.contacts.all(),
            self.interactions.index_facts(),
            self.preferences.all(),
            counts,
            text,
        )
        with self._index_lock:
            if self._index is None:
                self._index = index.text  # one decryption pass serves both indexes
                index.owns_text = False
        return index


def header_like(directory: Path) -> list[str]:
    """Every file in ``directory`` that holds or may hold a wrapped vault key: both header
    copies first, then any other ``vault.hdr*`` or ``.vault.hdr*`` (format 1's temp file, a
    copy someone made beside them)."""
    names = [header.HEADER_NAME, header.BACKUP_NAME]
    with contextlib.suppress(OSError):
        for path in sorted(directory.iterdir()):
            bare = path.name.lstrip(".")
            if bare.startswith(header.HEADER_NAME) and path.name not in names and path.is_file():
                names.append(path.name)
    return names


def burn(directory: Path) -> list[str]:
    """Destroy a vault: both header copies first (overwritten, synced, unlinked), then the rest.

    Once the headers are gone the VMK exists nowhere, so the database is undecryptable even if
    its blocks survive. Returns the names of the files removed.
    """
    if not is_vault(directory):
        raise NoVault
    removed: list[str] = []
    for name in header_like(directory):
        path = directory / name
        with contextlib.suppress(FileNotFoundError):
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(os.urandom(max(size, header.HEADER_SIZE)))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            removed.append(name)
    fsync_directory(directory)
    for path in sorted(directory.rglob("*"), reverse=True):
        if path.is_dir():
            path.rmdir()
        else:
            path.unlink()
        removed.append(str(path.relative_to(directory)))
    directory.rmdir()
    return removed
