"""Encrypted backups, the writing side: create, rotation, recovery key (DESIGN §7, issue 4).

    create(vault, out, recipients=[...] | passphrase=...)  -> Created (vault unlocked)
    new_recovery_key(vault) / store_recovery_recipient(vault, recipient) / recovery_recipient
    verify, restore, list_backups, read_identity_file       -> from vault.backup_restore

What a backup holds is described in ``vault/backup/manifest.py``; how age is written and read in
``vault/crypto/age.py``; how a backup is read back in ``vault/backup/restore.py``. Rules and
reasons:

- Consistent snapshot: the database is copied with ``VACUUM INTO`` (one read transaction; see
  ``Store.snapshot``) into a 0600 temp file inside the vault folder, ciphertext only,
  overwritten and removed afterwards; the shared folder lock marks it in use, and a killed
  backup's snapshot is overwritten and removed at the next unlock (``vault/core/leftovers.py``).
  The device identity is created before the snapshot so the snapshot holds the key that signs
  its manifest. Counts come from the snapshot itself, never from the live database.
  Both header copies in the backup are the current header's wrap with a state that accepts
  exactly the snapshot's commit counter and holds its key-tree root (format 2): the header on
  disk may already have moved on. If a delete re-keyed the tree after the snapshot, the
  snapshot is taken again.
- Written atomically and never over another file: a temp file next to the destination, fsync,
  read back (header check; a passphrase file is fully decrypted again by pyrage and its
  plaintext hash compared), then hard-linked to its name (refused if the name exists), fsync
  the folder. Backups are refused inside the vault folder (a backup next to what it backs up
  is lost with it, and ``burn`` would remove it).
- ``--out DIR/`` names files ``kith-<tag>-<n>.age``: no date in the name (the date is inside,
  encrypted), ``<n>`` counts up, and ``<tag>`` is 8 hex digits keyed by the vault's local-wrap
  key, so rotation (``keep``) only ever prunes this vault's backups, while a name says nothing
  about which vault it holds to someone without the key.
- The recovery key: only its public half (``age1...``) is stored, in the vault setting
  ``backup.recovery_recipient``; the secret half is shown once and never stored by Kith.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from vault.api import APP_VERSION, Vault
from vault.backup import manifest as bm
from vault.backup.restore import (
    READ_BLOCK,
    SUFFIX,
    Listed,
    Progress,
    Verified,
    list_backups,
    mode_of,
    new_file,
    read_header,
    read_identity_file,
    restore,
    verify,
)
from vault.core import folder_lock, leftovers
from vault.core.diskfull import is_disk_full
from vault.core.files import fsync_directory, write_new
from vault.core.identity import DeviceIdentity
from vault.core.private_dirs import make_private_dir
from vault.crypto import age, kdf
from vault.errors import (
    BackupExists,
    BackupIOError,
    DiskFull,
    IntegrityError,
    InvalidInput,
    NoRecoveryKey,
    RecoveryKeyExists,
)
from vault.interchange import blind_index

RECOVERY_SETTING = "backup.recovery_recipient"
NAME = re.compile(r"kith-([0-9a-f]{8})-([0-9]{6})\.age")
SNAPSHOT_PREFIX = leftovers.SNAPSHOT_PREFIX
SCRATCH_PREFIX = ".kith-backup-"
STALE_SECONDS = 24 * 3600
SNAPSHOT_TRIES = 5

__all__ = [
    "Created",
    "Listed",
    "Verified",
    "create",
    "identity_file_text",
    "list_backups",
    "mode_of",
    "new_recovery_key",
    "prune",
    "read_identity_file",
    "recovery_recipient",
    "restore",
    "save_identity_file",
    "store_recovery_recipient",
    "verify",
]


@dataclass(frozen=True)
class Created:
    """A backup just written."""

    path: Path
    size: int
    manifest: bm.Manifest
    mode: str  # "passphrase" or "recipients"
    recipients: int
    pruned: tuple[Path, ...] = ()


# --- create --------------------------------------------------------------------------------------


def create(
    vault: Vault,
    out: Path,
    *,
    into_directory: bool = False,
    recipients: Sequence[str] = (),
    passphrase: str | None = None,
    keep: int | None = None,
    progress: Progress | None = None,
) -> Created:
    """Write a backup of ``vault`` to the file ``out`` (or a new name in the folder ``out``)."""
    if (passphrase is None) == (not recipients):
        raise InvalidInput("Choose either a passphrase or one or more recipients.")
    if keep is not None and (not into_directory or keep < 1):
        raise InvalidInput("--keep N (N >= 1) needs --out DIR/ (a folder).")
    checked = [age.check_recipient(r) for r in recipients]
    dest = out if into_directory else out.parent
    if _inside(dest, vault.path):
        raise InvalidInput("Write backups outside the vault folder.")
    try:
        if into_directory:
            make_private_dir(dest)
        elif not dest.is_dir():
            raise InvalidInput("The folder for --out does not exist.")
        elif out.exists():
            raise BackupExists
        leftovers.sweep(vault.path)  # snapshots of killed backups (issue 12)
        _remove_stale(dest, f"{SCRATCH_PREFIX}*.tmp")
        signer = vault.identity  # before the snapshot: the snapshot must hold the signing key
        snapshot = vault.path / f"{SNAPSHOT_PREFIX}{os.urandom(8).hex()}.db"
        scratch = dest / f"{SCRATCH_PREFIX}{os.urandom(8).hex()}.tmp"
        # The shared lock tells an unlock in another process that this snapshot is in use.
        with folder_lock.in_use(vault.path):
            try:
                manifest = _write(vault, signer, snapshot, scratch, checked, passphrase, progress)
                final = _place(scratch, out, vault if into_directory else None)
            finally:
                leftovers.destroy(snapshot)
                scratch.unlink(missing_ok=True)
        pruned = _prune(dest, _name_tag(vault), keep) if keep else []
        size = final.stat().st_size
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull from None
        raise BackupIOError(error.strerror or type(error).__name__) from None
    return Created(
        path=final,
        size=size,
        manifest=manifest,
        mode="passphrase" if passphrase is not None else "recipients",
        recipients=len(checked),
        pruned=tuple(pruned),
    )


def _write(
    vault: Vault,
    signer: DeviceIdentity,
    snapshot: Path,
    scratch: Path,
    recipients: list[str],
    passphrase: str | None,
    progress: Progress | None,
) -> bm.Manifest:
    """Snapshot, manifest, signature, then the encrypted tar into ``scratch``, read back."""
    if progress:
        progress("snapshot", 0, 1)
    # DESIGN §5: blind indexes are never backed up; a restored vault rebuilds them on import.
    for _ in range(SNAPSHOT_TRIES):
        vault.live_store.snapshot(snapshot, empty_tables=blind_index.TABLES)
        # Format 2: the header must accept the snapshot's counter and hold its root.
        matched = vault.snapshot_header(snapshot)
        if matched is not None:
            break
        leftovers.destroy(snapshot)
    else:
        raise BackupIOError("the vault kept changing while it was copied; try again")
    hdr = hdr_copy = matched
    manifest = bm.Manifest(
        vault_id=vault.vault_id.hex(),
        created=int(time.time()),
        app_version=APP_VERSION,
        counts=_counts(vault, snapshot),
        members=(
            bm.Member(bm.HEADER_NAME, len(hdr), _sha256(hdr)),
            bm.Member(bm.HEADER_COPY_NAME, len(hdr_copy), _sha256(hdr_copy)),
            bm.Member(bm.DB_NAME, snapshot.stat().st_size, _file_sha256(snapshot)),
        ),
        signer=signer.signing_public.hex(),
    )
    signature = signer.sign(manifest.signed_bytes())
    stream = _TarStream(manifest, signature, hdr, hdr_copy, snapshot, progress)
    with new_file(scratch) as sink:
        if passphrase is not None:
            age.encrypt_stream_with_passphrase(stream, sink, passphrase)
        else:
            age.encrypt_stream_to_recipients(stream, sink, recipients)
        sink.flush()
        os.fsync(sink.fileno())
    _read_back(scratch, passphrase, len(recipients), stream.sha256.hexdigest(), progress)
    return manifest


def _remove_stale(folder: Path, pattern: str) -> None:
    """Remove scratch files a killed backup left behind (older than a day, so never a live one)."""
    cutoff = time.time() - STALE_SECONDS
    for path in folder.glob(pattern):
        with contextlib.suppress(OSError):
            if path.stat().st_mtime < cutoff:
                path.unlink()


class _TarStream:
    """The tar payload as a readable stream: manifest, signature, headers, then the snapshot."""

    def __init__(
        self,
        manifest: bm.Manifest,
        signature: bytes,
        hdr: bytes,
        hdr_copy: bytes,
        snapshot: Path,
        progress: Progress | None,
    ) -> None:
        self.sha256 = hashlib.sha256()
        self._progress = progress
        self._done = 0
        self._pending = memoryview(b"")
        text = manifest.to_json()
        self._db_size = manifest.member(bm.DB_NAME).size
        small = [
            (bm.MANIFEST_NAME, text),
            (bm.SIGNATURE_NAME, signature),
            (bm.HEADER_NAME, hdr),
            (bm.HEADER_COPY_NAME, hdr_copy),
        ]
        self._head = b"".join(
            bm.member_header(name, len(data), manifest.created) + data + bm.padding(len(data))
            for name, data in small
        ) + bm.member_header(bm.DB_NAME, self._db_size, manifest.created)
        length = len(self._head) + self._db_size + len(bm.padding(self._db_size))
        self._tail = bm.padding(self._db_size) + bm.end_of_archive(length)
        self.total = length + len(bm.end_of_archive(length))
        self._chunks = self._generate(snapshot)

    def _generate(self, snapshot: Path) -> Iterator[bytes]:
        yield self._head
        with open(snapshot, "rb") as handle:
            left = self._db_size
            while left:
                block = handle.read(min(READ_BLOCK, left))
                if not block:
                    raise IntegrityError("(the snapshot changed while it was read)")
                left -= len(block)
                yield block
        yield self._tail

    def read(self, size: int = -1) -> bytes:
        while not self._pending:
            following = next(self._chunks, None)
            if following is None:
                return b""
            self._pending = memoryview(following)
        take = len(self._pending) if size < 0 else min(size, len(self._pending))
        out = bytes(self._pending[:take])
        self._pending = self._pending[take:]
        self.sha256.update(out)
        self._done += take
        if self._progress:
            self._progress("encrypt", self._done, self.total)
        return out


def _read_back(
    path: Path, passphrase: str | None, recipients: int, tar_sha256: str, progress: Progress | None
) -> None:
    """Kith never places a file its reader refuses (module rules)."""
    header = read_header(path)
    if passphrase is None:
        x25519 = sum(1 for stanza in header.stanzas if stanza.type == "X25519")
        if header.is_passphrase or x25519 != recipients:  # pragma: no cover - a pyrage bug
            raise IntegrityError("(the backup just written has the wrong header)")
        return
    if progress:
        progress("check", 0, 1)
    plain = age.decrypt_with_passphrase(path.read_bytes(), passphrase)
    if not hmac.compare_digest(_sha256(plain), tar_sha256):  # pragma: no cover - a Kith bug
        raise IntegrityError("(the backup just written does not read back)")


def _place(scratch: Path, out: Path, numbered_for: Vault | None) -> Path:
    """Link ``scratch`` to its final name without ever replacing a file; return the name."""
    if numbered_for is None:
        _link(scratch, out)
        return out
    tag = _name_tag(numbered_for)
    number = max((seq for _, seq in _numbered(out, tag)), default=0) + 1
    for attempt in range(number, number + 100):
        final = out / f"kith-{tag}-{attempt:06d}{SUFFIX}"
        with contextlib.suppress(BackupExists):
            _link(scratch, final)
            return final
    raise BackupExists  # pragma: no cover - 100 concurrent backups into one folder


def _link(scratch: Path, final: Path) -> None:
    try:
        os.link(scratch, final)
    except FileExistsError:
        raise BackupExists from None
    except OSError:  # no hard links here (FAT, some network file systems)
        if final.exists():
            raise BackupExists from None
        os.replace(scratch, final)
    fsync_directory(final.parent)


def prune(vault: Vault, directory: Path, keep: int) -> list[Path]:
    """``kith backup prune``: remove this vault's numbered backups in ``directory`` beyond the
    newest ``keep`` (each overwritten with random bytes and synced first). Backups made before a
    delete still hold what was deleted (issue 12); pruning them is how erasure reaches them,
    subject to flash wear levelling and copy-on-write file systems (docs/threat-model.md)."""
    if keep < 0:
        raise InvalidInput("--keep N needs N >= 0.")
    try:
        return _prune(directory, _name_tag(vault), keep)
    except OSError as error:
        raise BackupIOError(error.strerror or type(error).__name__) from None


def _prune(directory: Path, tag: str, keep: int) -> list[Path]:
    """Remove this vault's numbered backups in ``directory`` beyond the newest ``keep``."""
    ours = sorted(_numbered(directory, tag), key=lambda item: item[1])
    removed = []
    for path, _ in ours[: max(0, len(ours) - keep)]:
        _overwrite(path)
        path.unlink(missing_ok=True)
        removed.append(path)
    return removed


def _overwrite(path: Path) -> None:
    """Overwrite a file's bytes in place with random data and sync (before it is unlinked)."""
    with contextlib.suppress(FileNotFoundError), open(path, "r+b") as handle:
        left = os.fstat(handle.fileno()).st_size
        while left > 0:
            chunk = min(left, READ_BLOCK)
            handle.write(os.urandom(chunk))
            left -= chunk
        handle.flush()
        os.fsync(handle.fileno())


def _numbered(directory: Path, tag: str) -> list[tuple[Path, int]]:
    found = []
    for path in directory.iterdir():
        match = NAME.fullmatch(path.name)
        if match and match[1] == tag and path.is_file():
            found.append((path, int(match[2])))
    return found


def _name_tag(vault: Vault) -> str:
    return kdf.hkdf_sha256(vault.keyring.lwk, "kith/backup-name", vault.vault_id)[:4].hex()


def _counts(vault: Vault, snapshot: Path) -> tuple[tuple[str, int], ...]:
    """Records per type and segments, read from the snapshot (the state the backup holds)."""
    store = vault.live_store
    with store.attached(snapshot, "snap"):
        rows = store.execute("SELECT type, count(*) FROM snap.records GROUP BY type")
        segments = store.one("SELECT count(*) FROM snap.segments")
    counts = {str(kind): int(n) for kind, n in rows if re.fullmatch(r"[a-z][a-z0-9_-]{0,31}", kind)}
    counts.setdefault("contact", 0)
    counts["segments"] = int(segments[0]) if segments else 0
    return tuple(sorted(counts.items()))


# --- recovery key and identity files -------------------------------------------------------------


def new_recovery_key(vault: Vault, *, replace: bool = False) -> tuple[str, str]:
    """A new ``(AGE-SECRET-KEY-1..., age1...)``; store the recipient once the secret is saved."""
    if vault.setting(RECOVERY_SETTING) and not replace:
        raise RecoveryKeyExists
    return age.generate_identity()


def store_recovery_recipient(vault: Vault, recipient: str) -> None:
    """Remember the public half; backups made with ``--recovery-key`` are encrypted to it."""
    vault.set_setting(RECOVERY_SETTING, age.check_recipient(recipient))


def recovery_recipient(vault: Vault) -> str:
    """The stored recovery recipient, or ``NoRecoveryKey``."""
    value = vault.setting(RECOVERY_SETTING)
    if not value:
        raise NoRecoveryKey
    return value


def identity_file_text(secret: str, recipient: str, created: int) -> str:
    """An identity file in ``age-keygen``'s format, which ``age -d -i`` reads."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(created))
    return f"# created: {stamp}\n# public key: {recipient}\n{secret}\n"


def save_identity_file(path: Path, text: str) -> None:
    """Write a recovery key's identity file: a new file, 0600, fsynced (``vault/core/files``);
    ``FileExistsError`` if the name is taken, so a key is never written over another file."""
    write_new(path, text.encode("ascii"))


# --- small helpers -------------------------------------------------------------------------------


def _inside(path: Path, folder: Path) -> bool:
    resolved, base = path.resolve(), folder.resolve()
    return resolved == base or base in resolved.parents


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(READ_BLOCK):
            digest.update(block)
    return digest.hexdigest()
