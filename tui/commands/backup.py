"""Backup commands (issue 4): ``kith backup create|verify|restore|list`` and ``kith recovery-key``.

    kith backup create --out FILE|DIR/ (--passphrase | --recipient AGE1... | --recovery-key)
                       [--keep N] [--words N] [--json]
    kith backup verify FILE [--identity KEYFILE]... [--backup-passphrase-file FILE]
                       [--check-signer] [--json]
    kith backup restore FILE --to DIR [--identity KEYFILE]... [--backup-passphrase-file FILE]
    kith backup list DIR [--identity KEYFILE]... [--backup-passphrase-file FILE] [--json]
    kith recovery-key create [--out FILE] [--replace]
    kith recovery-key show

Output rules (tui/output.py): results on stdout, everything else on stderr. Two secrets are
ever shown, each once: a generated backup passphrase (on stderr, like ``age -p``, so a script
capturing stdout does not capture it) and a new recovery key (on stdout, or into ``--out``
0600, like ``age-keygen``; plus a QR code on stderr when stderr is a terminal). Passphrases are
read from files or typed without echo, never taken from argv. Progress for large vaults goes to
stderr, only when stderr is a terminal.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

import click

from tui.context import KithContext, pass_kith
from tui.output import emit_json, when
from tui.safe_text import safe
from vault.backup import create as backup
from vault.backup import diceware
from vault.backup.manifest import Manifest
from vault.errors import InvalidInput

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
identity_option = click.option(
    "--identity",
    "-i",
    "identity_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An age identity file (AGE-SECRET-KEY-1... lines); repeatable.",
)
backup_passphrase_option = click.option(
    "--backup-passphrase-file",
    default=None,
    help="Read the backup's passphrase from FILE ('-' = stdin); else it is asked for.",
)
PROGRESS_MIN_BYTES = 16 * 1024 * 1024
STAGES = {"encrypt": "Encrypting", "decrypt": "Decrypting and checking", "check": "Reading back"}


class Progress:
    """A one-line percentage on stderr, for large backups and only on a terminal."""

    def __init__(self) -> None:
        self.enabled = sys.stderr.isatty()
        self._last: tuple[str, int] | None = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or (total < PROGRESS_MIN_BYTES and stage != "check"):
            return
        if stage == "check" and self._last is None:
            return  # the backup was small: nothing was shown, nothing to add
        percent = 100 * done // max(total, 1) if stage != "check" else 0
        if self._last == (stage, percent):
            return
        if self._last is not None and self._last[0] != stage:
            click.echo("", err=True)
        self._last = (stage, percent)
        label = STAGES.get(stage, stage)
        click.echo(
            f"\r{label}" + ("..." if stage == "check" else f" {percent:3d}%"), err=True, nl=False
        )

    def close(self) -> None:
        """End the progress line, if one was shown."""
        if self._last is not None:
            click.echo("", err=True)
            self._last = None


def _keys(
    kith: KithContext,
    path: Path,
    identity_files: tuple[Path, ...],
    passphrase_file: str | None,
    *,
    prompt: bool = True,
) -> tuple[list[str], str | None]:
    """Identities from files, and the backup passphrase (from a file, or typed if needed)."""
    identities = [key for file in identity_files for key in backup.read_identity_file(file)]
    if passphrase_file:
        return identities, kith.passphrases.read(passphrase_file)
    if prompt and not identities and backup.mode_of(path) == "passphrase":
        return identities, str(click.prompt("Backup passphrase", hide_input=True, err=True))
    return identities, None


def _manifest_json(manifest: Manifest) -> dict[str, Any]:
    return {**manifest.as_dict(), "signer_fingerprint": manifest.signer_fingerprint}


def _counts_text(manifest: Manifest) -> str:
    counts = dict(manifest.counts)
    return f"{counts.get('contact', 0)} contact(s), {counts.get('segments', 0)} segment(s)"


SIGNATURE_NOTE = (
    "The signature proves the backup is intact, not who made it, unless you compare the "
    "fingerprint with one you trust (or run `kith backup verify --check-signer`)."
)


@click.group(name="backup")
def backup_group() -> None:
    """Encrypted backups in the age format (see docs/backup.md)."""


@backup_group.command(name="create")
@click.option("--out", "out", required=True, help="Backup FILE, or DIR/ for numbered files.")
@click.option("--passphrase", "use_passphrase", is_flag=True, help="Generate a passphrase.")
@click.option("--recipient", "-r", "recipients", multiple=True, help="age1... (repeatable).")
@click.option("--recovery-key", "use_recovery", is_flag=True, help="The vault's recovery key.")
@click.option(
    "--keep",
    type=click.IntRange(1, 10_000),
    default=None,
    help="With DIR/: keep the newest N of this vault's backups there.",
)
@click.option(
    "--words",
    type=click.IntRange(diceware.MIN_WORDS, 24),
    default=diceware.MIN_WORDS,
    show_default=True,
    help="Passphrase length in words.",
)
@json_option
@pass_kith
def create(
    kith: KithContext,
    out: str,
    use_passphrase: bool,
    recipients: tuple[str, ...],
    use_recovery: bool,
    keep: int | None,
    words: int,
    as_json: bool,
) -> None:
    """Write an encrypted backup of the whole vault (the vault must be unlocked)."""
    if use_passphrase == bool(recipients or use_recovery):
        raise click.UsageError("choose --passphrase, or --recipient and/or --recovery-key")
    into_directory = out.endswith(("/", os.sep)) or Path(out).is_dir()
    if keep is not None and not into_directory:
        raise click.UsageError("--keep needs --out DIR/ (a folder)")
    vault = kith.unlock()
    chosen = list(recipients)
    if use_recovery:
        chosen.append(backup.recovery_recipient(vault))
    passphrase = diceware.generate(words) if use_passphrase else None
    progress = Progress()
    try:
        made = backup.create(
            vault,
            Path(out),
            into_directory=into_directory,
            recipients=chosen,
            passphrase=passphrase,
            keep=keep,
            progress=progress,
        )
    finally:
        progress.close()
    if passphrase is not None:
        click.echo(
            "\nBackup passphrase (shown once; write it down, Kith cannot recover it):\n\n"
            f"    {passphrase}\n",
            err=True,
        )
    if as_json:
        emit_json(
            {
                "path": str(made.path),
                "size": made.size,
                "mode": made.mode,
                "recipients": made.recipients,
                "pruned": [str(p) for p in made.pruned],
                "manifest": _manifest_json(made.manifest),
            }
        )
        return
    click.echo(safe(str(made.path)))
    click.echo(
        f"Backup written: {made.size:,} bytes, {_counts_text(made.manifest)}, signed by "
        f"{made.manifest.signer_fingerprint}.",
        err=True,
    )
    for path in made.pruned:
        click.echo(f"Removed older backup {safe(path.name)}.", err=True)


@backup_group.command(name="verify")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@identity_option
@backup_passphrase_option
@click.option(
    "--check-signer",
    is_flag=True,
    help="Also unlock the vault inside (vault passphrase) and check it signed this.",
)
@json_option
@pass_kith
def verify(
    kith: KithContext,
    file: Path,
    identity_files: tuple[Path, ...],
    backup_passphrase_file: str | None,
    check_signer: bool,
    as_json: bool,
) -> None:
    """Decrypt and check a backup completely, writing nothing."""
    identities, passphrase = _keys(kith, file, identity_files, backup_passphrase_file)
    vault_passphrase = kith.passphrases.read(prompt="Vault passphrase") if check_signer else None
    progress = Progress()
    try:
        done = backup.verify(
            file,
            identities=identities,
            passphrase=passphrase,
            check_signer_with=vault_passphrase,
            progress=progress,
        )
    finally:
        progress.close()
    if as_json:
        emit_json(
            {
                "path": str(file),
                "ok": True,
                "mode": done.mode,
                "signer_matches_vault": done.signer_matches_vault,
                "contacts_opened": done.contacts_opened,
                "manifest": _manifest_json(done.manifest),
            }
        )
        return
    manifest = done.manifest
    click.echo(
        f"Backup intact: vault {manifest.vault_id}, made {when(manifest.created)}, "
        f"{_counts_text(manifest)}; every file matches the signed manifest.",
        err=True,
    )
    click.echo(f"Signed by device key {manifest.signer_fingerprint}.", err=True)
    if done.signer_matches_vault:
        click.echo(
            f"The vault inside unlocks with your passphrase, {done.contacts_opened} contact(s) "
            "opened, and its own device key signed this backup.",
            err=True,
        )
    else:
        click.echo(SIGNATURE_NOTE, err=True)


@backup_group.command(name="restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--to",
    "target",
    required=True,
    type=click.Path(path_type=Path),
    help="A new (or empty) folder for the restored vault.",
)
@identity_option
@backup_passphrase_option
@json_option
@pass_kith
def restore(
    kith: KithContext,
    file: Path,
    target: Path,
    identity_files: tuple[Path, ...],
    backup_passphrase_file: str | None,
    as_json: bool,
) -> None:
    """Restore a backup into a new folder, all or nothing."""
    identities, passphrase = _keys(kith, file, identity_files, backup_passphrase_file)
    progress = Progress()
    try:
        done = backup.restore(
            file, target, identities=identities, passphrase=passphrase, progress=progress
        )
    finally:
        progress.close()
    manifest = done.manifest
    if as_json:
        emit_json(
            {
                "path": str(file),
                "restored_to": str(done.restored_to),
                "mode": done.mode,
                "manifest": _manifest_json(manifest),
            }
        )
        return
    click.echo(safe(str(done.restored_to)))
    click.echo(
        f"Restored vault {manifest.vault_id} ({_counts_text(manifest)}, backup made "
        f"{when(manifest.created)}) into {safe(str(done.restored_to))}.\n"
        "It opens with the passphrase the vault had when the backup was made: "
        f"kith --vault {safe(str(done.restored_to))} list\n"
        f"Signed by device key {manifest.signer_fingerprint}. {SIGNATURE_NOTE}",
        err=True,
    )


@backup_group.command(name="list")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@identity_option
@backup_passphrase_option
@json_option
@pass_kith
def list_cmd(
    kith: KithContext,
    directory: Path,
    identity_files: tuple[Path, ...],
    backup_passphrase_file: str | None,
    as_json: bool,
) -> None:
    """List the backups in a folder, newest first (manifests read with the keys given)."""
    identities = [k for f in identity_files for k in backup.read_identity_file(f)]
    passphrase = kith.passphrases.read(backup_passphrase_file) if backup_passphrase_file else None
    found = backup.list_backups(directory, identities=identities, passphrase=passphrase)
    if as_json:
        emit_json(
            [
                {
                    "path": str(item.path),
                    "size": item.size,
                    "mtime": item.mtime,
                    "mode": item.mode,
                    "problem": item.problem,
                    "manifest": _manifest_json(item.manifest) if item.manifest else None,
                }
                for item in found
            ]
        )
        return
    for item in found:
        if item.manifest is not None:
            detail = f"made {when(item.manifest.created)}, {_counts_text(item.manifest)}"
        else:
            reason = item.problem or "manifest not read (give --identity)"
            detail = f"file from {when(item.mtime)}, {reason}"
        click.echo(f"{safe(item.path.name)}  {item.size:,} bytes  {item.mode or '?'}  {detail}")
    if not found:
        click.echo("No backups (*.age) in that folder.", err=True)


@backup_group.command(name="prune")
@click.argument("directory", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--keep", type=click.IntRange(0), required=True, help="How many newest to keep.")
@json_option
@pass_kith
def prune_cmd(kith: KithContext, directory: Path, keep: int, as_json: bool) -> None:
    """Delete this vault's older numbered backups in DIR (overwritten first)."""
    removed = backup.prune(kith.unlock(), directory, keep)
    if as_json:
        emit_json({"removed": [str(p) for p in removed]})
        return
    for path in removed:
        click.echo(f"removed {path.name}")
    click.echo(f"{len(removed)} backup(s) removed.", err=True)


@click.group(name="recovery-key")
def recovery_key() -> None:
    """The vault's recovery key: an age X25519 key to keep offline (paper, QR code)."""


@recovery_key.command(name="create")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the secret key to FILE (mode 0600) instead of stdout.",
)
@click.option("--replace", is_flag=True, help="Replace an existing recovery key.")
@pass_kith
def recovery_key_create(kith: KithContext, out: Path | None, replace: bool) -> None:
    """Make a recovery key: the secret is shown once, only the public half is stored."""
    vault = kith.unlock()
    secret, recipient = backup.new_recovery_key(vault, replace=replace)
    text = backup.identity_file_text(secret, recipient, int(time.time()))
    if out is not None:
        try:
            backup.save_identity_file(out, text)
        except FileExistsError:
            raise InvalidInput("That file already exists: choose another --out.") from None
    else:
        click.echo(text, nl=False)
    if sys.stderr.isatty():
        import segno

        click.echo("The secret key as a QR code (scan or print it; keep it offline):", err=True)
        segno.make(secret, error="m").terminal(out=sys.stderr, compact=True)
    backup.store_recovery_recipient(vault, recipient)
    click.echo(
        f"Recovery key created; public recipient {recipient}. Keep the secret key offline: Kith "
        "did not store it, and backups made with --recovery-key open only with it.",
        err=True,
    )


@recovery_key.command(name="show")
@pass_kith
def recovery_key_show(kith: KithContext) -> None:
    """Print the stored public recipient (age1...) of the recovery key."""
    click.echo(backup.recovery_recipient(kith.unlock()))
