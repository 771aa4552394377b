"""Errors raised by the interface layer itself (the vault's own tree is ``vault.errors``).

The docstring of each class is what the user reads; the exit code follows the CLI contract:
0 ok, 1 other error, 2 usage, 3 cannot unlock, 4 not found, 5 invalid input, 6 integrity.
"""

from __future__ import annotations

from vault.errors import InvalidInput, KithError


class PassphraseMismatch(InvalidInput):
    """The two passphrases you typed differ."""


class PassphraseUnreadable(InvalidInput):
    """Cannot read the passphrase file: it must be UTF-8 text, at most 64 KiB."""


class ConfirmationRequired(KithError):
    """This needs a confirmation: run it on a terminal, or pass --yes."""

    exit_code = 2


class Cancelled(KithError):
    """Cancelled; nothing was changed."""


class SomeLinesFailed(KithError):
    """Some lines were not processed (see the messages above); the others were."""

    exit_code = 1

    def __init__(self, exit_code: int = 1) -> None:
        super().__init__()
        self.exit_code = exit_code  # that of the last failed line


class PlaintextConsentRequired(ConfirmationRequired):
    """This writes your contacts unencrypted: pass --yes-plaintext, or confirm on a terminal."""


class NameTooLong(InvalidInput):
    """That file or folder name is too long for the file system; nothing was written."""


class TuiPassphraseFromStdin(KithError):
    """The terminal UI reads keys from the terminal: give --passphrase-file a file, not '-'."""

    exit_code = 2


class SyncRunning(KithError):
    """A sync is running in this window: try again when it ends (or close its dialog)."""
