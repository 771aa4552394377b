"""Where passphrases come from: a file, standard input, or a no-echo prompt. Never argv.

Rules and reasons:
- ``--passphrase-file FILE`` (or ``$KITH_PASSPHRASE_FILE``, which names a file, never holds a
  passphrase); ``-`` reads standard input. One trailing newline is removed; nothing else, so a
  passphrase may start or end with spaces.
- Standard input is read once: when two passphrases come from it (``passwd`` with both files
  ``-``), they are its first two lines.
- The prompt uses ``getpass`` through click (no echo) and asks twice for a new passphrase.
- Unlocking takes the passphrase as one mutable buffer (``read_secret``, ``secret_buffer``),
  handed to the key derivation as is (Argon2 reads it in place) and wiped right after
  (``wipe``), so no copy of it stays alive while the vault is open or after it is locked. A
  file is read straight into that buffer. What Python cannot avoid: a typed passphrase arrives
  as a ``str`` (click's prompt, Textual's field), and checking UTF-8 decodes one; those
  immutable copies are dropped at once but their memory is only reused, not overwritten.
"""

from __future__ import annotations

import os
import sys
import unicodedata
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

    def read_secret(self, file: str | None = None, prompt: str = "Passphrase") -> bytearray:
        """The current passphrase as one wipeable buffer (see the module rules)."""
        source = file or self.file
        if source and source != "-":
            return _file_secret(source)
        return secret_buffer(self.read(file, prompt))

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


def secret_buffer(text: str) -> bytearray:
    """`text`, NFC-normalized, as UTF-8 in a new mutable buffer (as `Vault.open` would encode
    it); wipe it with `wipe` after use."""
    return bytearray(unicodedata.normalize("NFC", text), "utf-8")


def wipe(buffer: bytearray) -> None:
    """Overwrite `buffer` with zeros, in place."""
    buffer[:] = bytes(len(buffer))


def _file_secret(source: str) -> bytearray:
    """A passphrase file read straight into one buffer (unbuffered I/O: no hidden copy); one
    trailing line break removed; UTF-8 and NFC as `read` requires."""
    try:
        with open(source, "rb", buffering=0) as handle:
            size = os.fstat(handle.fileno()).st_size
            if size > MAX_BYTES:
                raise PassphraseUnreadable
            buffer = bytearray(size)
            got = handle.readinto(buffer)
    except OSError:
        raise PassphraseUnreadable from None
    if got != size:
        wipe(buffer)
        raise PassphraseUnreadable
    for ending in (b"\r\n", b"\n"):
        if buffer.endswith(ending):
            buffer[-len(ending) :] = bytes(len(ending))
            del buffer[-len(ending) :]
            break
    try:
        text = buffer.decode("utf-8")  # the check; this str is dropped at once
    except UnicodeDecodeError:
        wipe(buffer)
        raise PassphraseUnreadable from None
    if not unicodedata.is_normalized("NFC", text):
        wipe(buffer)
        return secret_buffer(text)
    return buffer
