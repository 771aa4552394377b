"""Every text argument of every command passes the vault's text check (issue 14, item 5).

Python decodes ``sys.argv`` with ``surrogateescape``, so ``kith add --name $'\\xff'`` used to
reach the vault as a lone surrogate and end in a traceback when sealed. ``guard`` wraps each
command's callback (the whole tree, once) so that its text parameters go through
``vault.domain.text.require_text`` before the command runs: one line, exit 5, nothing changed.

Not checked: parameters that name files or folders (``click.Path``/``click.File`` types, and the
plain-string ``--out``, ``--to``, ``FOLDER`` and ``--*-file`` options), because a Linux file
name is bytes and need not be UTF-8; those go to the file system, never into the vault.
"""

from __future__ import annotations

import functools
from typing import Any

import click

from vault.domain.text import require_text

_PATH_NAMES = frozenset({"out", "to", "folder", "file", "path", "directory", "vault_dir"})


def _is_path(param: click.Parameter) -> bool:
    name = param.name or ""
    return (
        isinstance(param.type, (click.Path, click.File))
        or name in _PATH_NAMES
        or name.endswith("_file")
    )


def _check(command: click.Command, values: dict[str, Any]) -> None:
    for param in command.params:
        if _is_path(param) or param.name not in values:
            continue
        value = values[param.name]
        items = value if isinstance(value, (tuple, list)) else (value,)
        label = param.opts[0] if param.opts else param.name
        for item in items:
            if isinstance(item, str):
                require_text(item, str(label))


def _wrap(command: click.Command) -> None:
    callback = command.callback
    if callback is None or getattr(callback, "_text_guarded", False):
        return

    @functools.wraps(callback)
    def checked(*args: Any, **kwargs: Any) -> Any:
        _check(command, kwargs)
        return callback(*args, **kwargs)

    checked._text_guarded = True  # type: ignore[attr-defined]
    command.callback = checked


def guard(command: click.Command) -> None:
    """Wrap ``command`` and, for a group, every command under it."""
    _wrap(command)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            guard(sub)


__all__ = ["guard"]
