"""The ``kith`` command line: one click group, errors printed from one place.

Every ``KithError`` becomes one line on stderr, ``kith: <its docstring>``, and its exit code.
Usage mistakes exit 2 with one line. Any other exception is reported by type only, with no
message or traceback, because a message could carry contact data; set ``KITH_DEBUG=1`` on a
machine you control to see the traceback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from tui.commands import (
    activity,
    backup,
    contacts,
    events,
    interchange,
    organizing,
    outreach,
    relations,
    segments,
    sync_cmds,
    vault_cmds,
)
from tui.context import KithContext, default_vault_dir
from tui.passphrase import PassphraseSource
from tui.process_guard import harden
from vault.errors import KithError


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--vault",
    "vault_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Vault folder (default: $KITH_VAULT, else the user data dir).",
)
@click.option(
    "--passphrase-file",
    default=None,
    help="Read the passphrase from FILE ('-' = stdin; default $KITH_PASSPHRASE_FILE).",
)
@click.version_option("0.1.0", prog_name="kith")
@click.pass_context
def cli(ctx: click.Context, vault_dir: Path | None, passphrase_file: str | None) -> None:
    """Kith: an encrypted contact vault for organizers."""
    kith = KithContext(vault_dir or default_vault_dir(), PassphraseSource(passphrase_file))
    ctx.obj = kith
    ctx.call_on_close(kith.close)
    if ctx.invoked_subcommand is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            ctx.invoke(tui_cmd)
        else:
            click.echo(ctx.get_help())


@cli.command(name="tui")
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=10),
    default=None,
    help="Lock after this many idle seconds (default $KITH_IDLE_TIMEOUT, else 300).",
)
@click.pass_context
def tui_cmd(ctx: click.Context, idle_timeout: float | None) -> None:
    """Open the terminal UI."""
    from tui.app import run_app

    kith: KithContext = ctx.obj
    run_app(kith.vault_dir, idle_timeout=idle_timeout)


for command in (
    vault_cmds.init,
    vault_cmds.passwd,
    vault_cmds.info,
    vault_cmds.burn_cmd,
    vault_cmds.check,
    contacts.add,
    contacts.show,
    contacts.list_contacts,
    contacts.search,
    contacts.edit,
    contacts.delete,
    segments.segment,
    relations.relate,
    relations.unrelate,
    relations.relations,
    organizing.target,
    organizing.retain,
    organizing.expire,
    organizing.stats,
    activity.log,
    activity.history,
    activity.prefs,
    activity.may_contact,
    activity.saved,
    events.event,
    backup.backup_group,  # issue 4
    backup.recovery_key,
    interchange.import_cmd,  # issue 3
    interchange.export_cmd,
    interchange.duplicates,
    interchange.merge,
    outreach.outreach,  # issue 8
    sync_cmds.id_group,  # issue 7
    sync_cmds.peer_group,
    sync_cmds.sync_group,
):
    cli.add_command(command)
segments.segment.add_command(sync_cmds.share)  # issue 7
segments.segment.add_command(sync_cmds.unshare)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every failure into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="kith", standalone_mode=False)
    except KithError as error:
        click.echo(f"kith: {error.message}", err=True)
        return error.exit_code
    except click.exceptions.Exit as done:
        return int(done.exit_code)
    except click.UsageError as error:
        path = error.ctx.command_path if error.ctx else "kith"
        click.echo(f"kith: usage: {error.format_message()} (see: {path} --help)", err=True)
        return 2
    except click.Abort:
        click.echo("kith: cancelled.", err=True)
        return 1
    except click.ClickException as error:
        click.echo(f"kith: {error.format_message()}", err=True)
        return error.exit_code
    except KeyboardInterrupt:
        click.echo("kith: interrupted.", err=True)
        return 130
    except Exception as error:
        if os.environ.get("KITH_DEBUG") == "1":
            raise
        click.echo(f"kith: internal error ({type(error).__name__}); details hidden.", err=True)
        return 1
    return 0


def entry() -> None:
    """Console-script wrapper: harden the process first (no core dumps), then run."""
    harden()
    sys.exit(main())
