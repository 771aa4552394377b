"""Reading backups: verify, restore and list, all without the vault passphrase (issue 4).

    verify(path, identities=[...] | passphrase=...)        -> Verified (writes nothing)
    restore(path, target, identities=... | passphrase=...) -> Verified, the vault in ``target``
    list_backups(directory, identities=...)               -> newest first
    read_identity_file(path)                              -> the AGE-SECRET-KEY-1... lines

Rules and reasons:
- The age header is checked strictly (``vault.crypto.agefile``) before any secret is used,
  then the payload streams through the strict tar parser (``vault.backup.manifest.TarReader``);
  the manifest signature and every member hash are checked before anything is placed.
- ``restore`` writes into a 0700 scratch folder next to the target (same file system, so the
  final rename is atomic) and renames it into place only after every check passed; on any
  failure, including an interrupt, the scratch folder is removed: a failed restore leaves
  nothing behind. The target must not exist or be an empty folder, and its parent must exist.
- A kill -9 runs no cleanup, so a restore holds an exclusive ``flock`` on its scratch folder
  while it works, and every restore first removes the scratch folders of the same target that
  nobody holds (``.<name>.kith-restore-*``, left by a killed restore; the kernel drops the lock
  with the process). A restore still running elsewhere keeps its folder.
- What is written is what the vault held: the two header copies and the SQLCipher file, all
  ciphertext, 0600. Nothing in a backup is plaintext contact data, so nothing here is either.
- Passphrase files are decrypted whole in memory (pyrage has no streaming passphrase reader);
  recipient files stream, so memory stays flat however large the vault.
"""

from __future__ import annotations

import contextlib
import fcntl
import hmac
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from vault.api import Vault
from vault.backup import manifest as bm
from vault.core import header_v2
from vault.core.diskfull import is_disk_full
from vault.core.files import create_private, fsync_directory
from vault.core.store import DB_NAME
from vault.crypto import age
from vault.crypto.agefile import MAX_HEADER_BYTES, AgeHeader, parse_header
from vault.errors import (
    BackupIOError,
    BackupTargetNotEmpty,
    BadBackup,
    DiskFull,
    IdentityRequired,
    IntegrityError,
    InvalidInput,
    KithError,
    NoMatchingKey,
)

Progress = Callable[[str, int, int], None]  # (stage, done, total)

SUFFIX = ".age"
READ_BLOCK = 1024 * 1024
MAX_IDENTITY_FILE = 64 * 1024


@dataclass(frozen=True)
class Verified:
    """A backup whose header, payload, signature and hashes all checked out."""

    path: Path
    manifest: bm.Manifest
    mode: str
    restored_to: Path | None = None
    signer_matches_vault: bool | None = None  # set by verify(check_signer_with=...)
    contacts_opened: int | None = None


@dataclass(frozen=True)
class Listed:
    """One file of a backup folder; ``manifest`` is None when no given key opened it."""

    path: Path
    size: int
    mtime: int
    mode: str | None
    manifest: bm.Manifest | None = None
    problem: str | None = None


@contextlib.contextmanager
def io_errors() -> Iterator[None]:
    """Report a failing disk as ``BackupIOError`` (its OS reason only), never as a crash."""
    try:
        yield
    except OSError as error:
        if is_disk_full(error):
            raise DiskFull from None
        raise BackupIOError(error.strerror or type(error).__name__) from None


def mode_of(path: Path) -> str:
    """``"passphrase"`` or ``"recipients"``, from a strict check of the header only."""
    return "passphrase" if read_header(path).is_passphrase else "recipients"


@io_errors()
def verify(
    path: Path,
    *,
    identities: Sequence[str] = (),
    passphrase: str | None = None,
    check_signer_with: str | None = None,
    progress: Progress | None = None,
) -> Verified:
    """Decrypt and check everything, writing nothing.

    With ``check_signer_with`` (the vault passphrase), the vault is restored into a private
    temp folder, unlocked, fully checked (every page and every contact) and compared: the
    manifest's signer must be the device key stored inside it. The temp folder is removed.
    """
    if check_signer_with is None:
        reader = bm.TarReader(None, path.stat().st_size, progress=_bytes_progress(progress, path))
        contents = _decrypt(path, reader, identities, passphrase)
        return Verified(path, _checked(contents), mode_of(path))
    with tempfile.TemporaryDirectory(prefix="kith-verify-") as scratch:
        done = restore(
            path,
            Path(scratch) / "vault",
            identities=identities,
            passphrase=passphrase,
            progress=progress,
        )
        with Vault.open(Path(scratch) / "vault", check_signer_with) as opened:
            own_key = opened.identity.signing_public.hex()
            matches = hmac.compare_digest(own_key, done.manifest.signer)
            opened_contacts = opened.check() if matches else None
    if not matches:
        raise BadBackup("the manifest was not signed by the device key inside the vault")
    return Verified(path, done.manifest, done.mode, None, True, opened_contacts)


@io_errors()
def restore(
    path: Path,
    target: Path,
    *,
    identities: Sequence[str] = (),
    passphrase: str | None = None,
    progress: Progress | None = None,
) -> Verified:
    """Restore the vault in backup ``path`` into the new or empty folder ``target``."""
    target = Path(os.path.abspath(target))
    _check_target(target)
    mode = mode_of(path)  # the header is checked before anything is created
    remove_stale_scratch(target)
    scratch = target.parent / f"{_scratch_prefix(target)}{os.urandom(8).hex()}"
    scratch.mkdir(mode=0o700)
    held = _hold(scratch)
    try:
        with new_file(scratch / DB_NAME) as db:
            reader = bm.TarReader(db, path.stat().st_size, progress=_bytes_progress(progress, path))
            contents = _decrypt(path, reader, identities, passphrase)
            db.flush()
            os.fsync(db.fileno())
        manifest = _checked(contents)
        for name in (bm.HEADER_NAME, bm.HEADER_COPY_NAME):
            with new_file(scratch / name) as handle:
                handle.write(contents.small[name])
                handle.flush()
                os.fsync(handle.fileno())
        fsync_directory(scratch)
        _check_target(target)
        os.rename(scratch, target)  # POSIX: replaces an empty folder atomically
        fsync_directory(target.parent)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    finally:
        os.close(held)
    return Verified(path, manifest, mode, restored_to=target)


def _scratch_prefix(target: Path) -> str:
    return f".{target.name}.kith-restore-"


def _hold(folder: Path) -> int:
    """An open descriptor on ``folder`` holding an exclusive lock (released at close or death)."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def remove_stale_scratch(target: Path) -> list[Path]:
    """Remove the scratch folders a killed restore of ``target`` left; returns what was removed.

    Only real folders (never symlinks) named ``.<target>.kith-restore-*`` whose lock nobody
    holds are removed: a restore in progress holds its lock until it ends.
    """
    removed: list[Path] = []
    prefix = _scratch_prefix(target)
    try:
        candidates = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return removed
    for folder in candidates:
        if folder.is_symlink() or not folder.is_dir():
            continue
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            continue  # a live restore holds it
        else:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
        finally:
            os.close(fd)
    return removed


@io_errors()
def list_backups(
    directory: Path, *, identities: Sequence[str] = (), passphrase: str | None = None
) -> list[Listed]:
    """Every ``*.age`` file in ``directory``, newest first.

    A manifest is read (its signature checked, the members not) when a given key or passphrase
    opens the file; it orders by the creation time inside, else by the file's modification time.
    """
    found: list[Listed] = []
    for path in sorted(directory.iterdir()):
        if not path.is_file() or path.suffix != SUFFIX:
            continue
        stat = path.stat()
        base = Listed(path, stat.st_size, int(stat.st_mtime), None)
        try:
            header = read_header(path)
        except IntegrityError:
            found.append(replace(base, problem="not a binary age file"))
            continue
        mode = "passphrase" if header.is_passphrase else "recipients"
        manifest, problem = None, None
        if passphrase if header.is_passphrase else identities:
            try:
                manifest = _manifest_only(path, identities, passphrase)
            except NoMatchingKey:
                problem = "no matching key"
            except KithError as error:
                problem = error.message
        found.append(replace(base, mode=mode, manifest=manifest, problem=problem))
    found.sort(
        key=lambda item: (item.manifest.created if item.manifest else item.mtime, item.path.name),
        reverse=True,
    )
    return found


def _manifest_only(path: Path, identities: Sequence[str], passphrase: str | None) -> bm.Manifest:
    reader = bm.TarReader(None, path.stat().st_size, stop_after_manifest=True)
    with contextlib.suppress(bm.ManifestComplete):
        _decrypt(path, reader, identities, passphrase)
    manifest = bm.parse(reader.contents.small.get(bm.MANIFEST_NAME, b""))
    bm.verify_signature(manifest, reader.contents.small.get(bm.SIGNATURE_NAME, b""))
    return manifest


def _decrypt(
    path: Path, reader: bm.TarReader, identities: Sequence[str], passphrase: str | None
) -> bm.Contents:
    """Feed the plaintext of ``path`` to ``reader`` and return what it collected."""
    header = read_header(path)
    if header.is_passphrase:
        if passphrase is None:
            if identities:
                raise NoMatchingKey("It is protected by a passphrase, not a key.")
            raise InvalidInput("This backup needs its passphrase.")
        plain = memoryview(age.decrypt_with_passphrase(path.read_bytes(), passphrase))
        for start in range(0, len(plain), READ_BLOCK):
            reader.write(bytes(plain[start : start + READ_BLOCK]))
    else:
        if not identities:
            if passphrase is not None:
                raise NoMatchingKey("It is encrypted to keys, not to a passphrase.")
            raise IdentityRequired
        with open(path, "rb") as handle:
            age.decrypt_stream_with_identities(handle, reader, identities)
    return reader.finish()


def _checked(contents: bm.Contents) -> bm.Manifest:
    """Signature, then every member against the manifest, then the headers' vault id."""
    manifest = bm.parse(contents.small[bm.MANIFEST_NAME])
    bm.verify_signature(manifest, contents.small[bm.SIGNATURE_NAME])
    for member in manifest.members:
        if contents.sizes.get(member.name) != member.size or not hmac.compare_digest(
            contents.hashes.get(member.name, ""), member.sha256
        ):
            raise BadBackup(f"{member.name} does not match the signed manifest")
    for name in (bm.HEADER_NAME, bm.HEADER_COPY_NAME):
        try:
            parsed = header_v2.parse_any(contents.small[name])
        except KithError:
            raise BadBackup("a vault header in the backup is malformed") from None
        if parsed.vault_id.hex() != manifest.vault_id:
            raise BadBackup("a vault header in the backup belongs to another vault")
    return manifest


def _check_target(target: Path) -> None:
    if not target.parent.is_dir():
        raise InvalidInput("The folder that would hold the restored vault does not exist.")
    if target.is_symlink() or (target.exists() and (not target.is_dir() or any(target.iterdir()))):
        raise BackupTargetNotEmpty


def read_header(path: Path) -> AgeHeader:
    with open(path, "rb") as handle:
        return parse_header(handle.read(MAX_HEADER_BYTES))


def _bytes_progress(progress: Progress | None, path: Path) -> Callable[[int], None] | None:
    if progress is None:
        return None
    total = path.stat().st_size
    return lambda done: progress("decrypt", min(done, total), total)


def read_identity_file(path: Path) -> list[str]:
    """The ``AGE-SECRET-KEY-1...`` lines of an identity file (comments and blanks skipped)."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_IDENTITY_FILE + 1)
    except OSError:
        raise InvalidInput("Cannot read the identity file.") from None
    if len(data) > MAX_IDENTITY_FILE:
        raise InvalidInput("The identity file is larger than 64 KiB.")
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        raise InvalidInput("The identity file is not text.") from None
    keys = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    for number, key in enumerate(keys, start=1):
        if not key.startswith("AGE-SECRET-KEY-1"):
            raise InvalidInput(f"Key {number} of the identity file is not an age X25519 key.")
    if not keys:
        raise InvalidInput("The identity file holds no AGE-SECRET-KEY-1... line.")
    return keys


@contextlib.contextmanager
def new_file(path: Path) -> Iterator[BinaryIO]:
    """A new file, 0600, refused if the name exists."""
    fd = create_private(path)
    with os.fdopen(fd, "wb") as handle:
        yield handle
