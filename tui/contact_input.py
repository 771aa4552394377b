"""Contact data from a file or stdin, never only from argv (issue 12).

Why: arguments are public on the machine. ``kith add --name "Ana" --note "..."`` puts the
contact in ``/proc/PID/cmdline`` (readable by every user while the command runs), in ``ps``
output and in the shell's history file, in plaintext. ``--from FILE`` (``-`` = stdin) reads the
same contact as the JSON object ``kith show --json`` prints, so nothing about the person is in
argv. argv stays supported for data that is not sensitive.

Rules: at most 1 MiB is read (a contact is a few KiB; anything larger is a mistake or an
attack), it must be UTF-8, and it is parsed strictly by ``vault/interchange/json_io.py``. Stdin
cannot carry both the passphrase and the contact (``--passphrase-file -`` with ``--from -``).
"""

from __future__ import annotations

import sys

import click
from click.core import ParameterSource

from tui.passphrase import PassphraseSource
from vault.domain.model import ContactDraft
from vault.errors import InvalidInput

MAX_CONTACT_BYTES = 1024 * 1024

from_option = click.option(
    "--from", "from_file", default=None, metavar="FILE",
    help="Read the contact as JSON (the shape `kith show --json` prints) from FILE, '-' = stdin; "
    "keeps names and notes out of the process list and shell history.",
)  # fmt: skip


def read_contact(source: str, passphrases: PassphraseSource) -> tuple[ContactDraft, frozenset[str]]:
    """The contact in ``source`` and the keys it names; ``InvalidInput`` if unreadable."""
    if source == "-" and passphrases.file == "-":
        raise click.UsageError("--from - and --passphrase-file - cannot both read stdin")
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_CONTACT_BYTES + 1)
        else:
            with open(source, "rb") as handle:
                data = handle.read(MAX_CONTACT_BYTES + 1)
    except OSError:
        raise InvalidInput("(cannot read the contact file)") from None
    if len(data) > MAX_CONTACT_BYTES:
        raise InvalidInput("(the contact file is larger than 1 MiB)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("(the contact file is not UTF-8 text)") from None
    from vault.interchange.json_io import read_contact_object  # only with --from: start-up cost

    return read_contact_object(text)


def given_on_command_line(ctx: click.Context, names: tuple[str, ...]) -> list[str]:
    """The options among ``names`` the user typed (not defaults)."""
    return [n for n in names if ctx.get_parameter_source(n) is ParameterSource.COMMANDLINE]
