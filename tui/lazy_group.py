"""A click group whose commands are imported when first used (issue 12 §3: process start-up).

Importing every command module at start cost ~100 ms of a 300 ms ``kith delete`` budget (sync,
relay, outreach, intake and their libraries). ``LazyGroup`` knows each command by name and
``"module:attribute"``, imports the module only when click asks for that command (to run it, or
to list every command for ``--help``), and then passes it through ``prepare`` (the text guard,
sub-commands added from other modules). Names, flags, help text and output are those of the
command objects themselves, unchanged; ``list_commands`` is sorted, as click's own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping

import click

Prepare = Callable[[str, click.Command], None]


class LazyGroup(click.Group):
    """A ``click.Group`` that imports a command's module on first use."""

    def __init__(
        self,
        *args: object,
        lazy: Mapping[str, str] | None = None,
        prepare: Prepare | None = None,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lazy: dict[str, str] = dict(lazy or {})
        self.prepare: Prepare = prepare or (lambda _name, _command: None)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            module, _, attribute = self.lazy[cmd_name].partition(":")
            command = getattr(importlib.import_module(module), attribute)
            if not isinstance(command, click.Command) or command.name != cmd_name:
                raise RuntimeError(f"lazy command {cmd_name!r} is not {self.lazy[cmd_name]!r}")
            self.prepare(cmd_name, command)
            self.add_command(command)
        return super().get_command(ctx, cmd_name)
