"""What every command shares: where the vault is, where passphrases come from, how to unlock."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import click
import platformdirs

from tui.passphrase import PassphraseSource, wipe
from vault import Vault


def default_vault_dir() -> Path:
    """``$KITH_VAULT``, else the platform's user data directory for Kith."""
    env = os.environ.get("KITH_VAULT")
    return Path(env) if env else Path(platformdirs.user_data_dir("kith"))


@dataclass
class KithContext:
    """Per-invocation state, stored as click's ``ctx.obj``."""

    vault_dir: Path
    passphrases: PassphraseSource
    opened: list[Vault] = field(default_factory=list)

    def unlock(self) -> Vault:
        """Read the passphrase and unlock; the vault is locked again when the command ends.

        The passphrase is one buffer, wiped as soon as the key is derived (tui/passphrase.py).
        """
        secret = self.passphrases.read_secret()
        try:
            vault = Vault.open(self.vault_dir, secret)
        finally:
            wipe(secret)
        self.opened.append(vault)
        for notice in vault.notices:  # a repaired header, an upgrade: said once, on stderr
            click.echo(notice, err=True)
        return vault

    def close(self) -> None:
        """Lock every vault this invocation opened."""
        while self.opened:
            self.opened.pop().lock()


pass_kith = click.make_pass_decorator(KithContext)
