"""Where passphrases come from: a file, standard input, or a no-echo prompt. Never argv.

Rules and reasons:
- ``--passphrase-file FILE`` (or ``$KITH_PASSPHRASE_FILE``, which names a file, never holds a
  passphrase); ``-`` reads standard input. One trailing newline is removed; nothing else, so a
  passphrase may start or end with spaces.
- Standard input is read once: when two passphrases come from it (``passwd`` with both files
  ``-``), they are its first two lines.
- The prompt uses ``getpass`` through click (no echo) and asks twice for a new passphrase.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tui.errors import PassphraseMismatch, PassphraseUnreadable

MAX_BYTES = 64 * 1024


class PassphraseSource:
    """Reads passphrases for one command invocation."""

    def __init__(self, file: str | None) -> None:
        self.file = file or os.environ.get("KITH_PASSPHRASE_FILE") or None
        self._stdin_lines: list[str] | None = None

    def _from_stdin(self) -> str:
        if self._stdin_lines is None:
            data = sys.stdin.buffer.read(MAX_BYTES + 1)
            self._stdin_lines = _decode(data).splitlines()
        if not self._stdin_lines:
            raise PassphraseUnreadable
        return self._stdin_lines.pop(0)

    def read(self, file: str | None = None, prompt: str = "Passphrase") -> str:
        """The current passphrase, from ``file`` (or the default source) or a prompt."""
        source = file or self.file
        if source == "-":
            return self._from_stdin()
        if source:
            try:
                data = Path(source).read_bytes()[: MAX_BYTES + 1]
            except OSError:
                raise PassphraseUnreadable from None
            return _strip_newline(_decode(data))
        return str(click.prompt(prompt, hide_input=True, err=True))

    def read_new(self, file: str | None = None, prompt: str = "New passphrase") -> str:
        """A new passphrase: from ``file`` as is, or typed twice at a prompt."""
        if file:
            return self.read(file)
        first = str(click.prompt(prompt, hide_input=True, err=True))
        second = str(click.prompt("Repeat it", hide_input=True, err=True))
        if first != second:
            raise PassphraseMismatch
        return first


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise PassphraseUnreadable
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise PassphraseUnreadable from None
    return text


def _strip_newline(text: str) -> str:
    """Remove exactly one trailing line break (LF or CRLF)."""
    if text.endswith("\r\n"):
        return text[:-2]
    return text.removesuffix("\n")
