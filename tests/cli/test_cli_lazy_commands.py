"""Commands are imported when first used (issue 12 §3: process start-up), with nothing else
changed: every command named in ``COMMANDS`` is the object its module defines, text-guarded,
and a contact command in a fresh process does not import the sync engine or other commands."""

from __future__ import annotations

import importlib
import subprocess
import sys

import click
import pytest

from sync import capture, replica
from tests.conftest import ROOT
from tui.cli import COMMANDS, cli

HEAVY = (
    "sync.replica", "sync.runner", "tui.commands.sync_cmds", "tui.commands.outreach",
    "tui.commands.relay_cmds", "vault.interchange",
)  # fmt: skip
PROBE = """
import sys
from tui.cli import main
main(["{command}", "--help"])
print("HEAVY", sorted(m for m in sys.modules if m.startswith({heavy!r})))
"""


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_lazy_command_is_its_modules_object_and_guarded(name: str) -> None:
    module, _, attribute = COMMANDS[name].partition(":")
    command = cli.get_command(click.Context(cli), name)
    assert command is getattr(importlib.import_module(module), attribute)
    assert command.name == name
    pending = [command]
    while pending:  # the text guard covers the whole subtree (issue 14)
        current = pending.pop()
        assert current.callback is None or getattr(current.callback, "_text_guarded", False)
        if isinstance(current, click.Group):
            pending += current.commands.values()


def test_the_command_list_is_complete_and_sorted() -> None:
    listed = cli.list_commands(click.Context(cli))
    assert listed == sorted({*COMMANDS, "tui"})
    segment = cli.get_command(click.Context(cli), "segment")
    assert isinstance(segment, click.Group) and {"share", "unshare"} <= set(segment.commands)


@pytest.mark.parametrize("command", ["delete", "search", "add"])
def test_a_contact_command_imports_no_sync_engine_and_no_other_command(command: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(command=command, heavy=HEAVY)],
        capture_output=True, check=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert b"HEAVY []" in done.stdout, done.stdout


def test_the_capture_prefix_is_the_replicas() -> None:
    assert capture.SEGMENT_PREFIX == replica.SEGMENT_PREFIX
