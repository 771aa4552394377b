"""Every command users can run is documented (as sqlite-utils' test_docs does).

Each `kith` command and sub-command must appear as `kith NAME` (or `kith GROUP NAME`) in the
README or a page under docs/, and must answer `--help` with exit 0.
"""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from tui.cli import cli

DOCS = "\n".join(
    p.read_text() for p in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
)


def command_paths() -> list[tuple[str, ...]]:
    paths: list[tuple[str, ...]] = []

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        ctx = click.Context(group)  # list_commands/get_command: lazy commands are loaded too
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, name
            if command.hidden:
                continue
            path = (*prefix, name)
            paths.append(path)
            if isinstance(command, click.Group):
                walk(command, path)

    walk(cli, ())
    return paths


@pytest.mark.parametrize("path", command_paths(), ids=" ".join)
def test_command_is_documented_and_has_help(path: tuple[str, ...]) -> None:
    assert f"kith {' '.join(path)}" in DOCS, f"`kith {' '.join(path)}` is not in README or docs/"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage:")


def test_readme_shows_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
