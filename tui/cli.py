"""The ``kith`` command line: one click group, errors printed from one place.

Every ``KithError`` becomes one line on stderr, ``kith: <its docstring>``, and its exit code.
Usage mistakes exit 2 with one line. A full disk met outside the vault's own mapping (an
``OSError`` with ENOSPC) is still ``DiskFull``'s line. SIGTERM and SIGHUP take the Ctrl-C path
(``tui/signals.py``): every ``finally`` and ``except BaseException`` cleanup runs (a partial
export is destroyed, a transaction rolled back), then Kith exits 128 + the signal number.

Any other exception is reported by type only, with no message or traceback, because a message
could carry contact data; set ``KITH_DEBUG=1`` on a machine you control to see the traceback.
"""

from __future__ import annotations

import errno
import math
import os
import sys
from pathlib import Path

import click

from tui.context import KithContext, default_vault_dir
from tui.errors import NameTooLong, TuiPassphraseFromStdin
from tui.lazy_group import LazyGroup
from tui.passphrase import PassphraseSource
from tui.process_guard import harden
from tui.signals import Terminated, terminate_like_ctrl_c
from tui.text_guard import guard
from vault import is_disk_full
from vault.errors import DiskFull, KithError

# Every command by name, imported when first used (tui/lazy_group.py): start-up pays only for
# the command being run (issue 12 §3). Issue numbers as in the README.
COMMANDS = {
    "init": "tui.commands.vault_cmds:init",
    "passwd": "tui.commands.vault_cmds:passwd",
    "info": "tui.commands.vault_cmds:info",
    "burn": "tui.commands.vault_cmds:burn_cmd",
    "check": "tui.commands.vault_cmds:check",
    "add": "tui.commands.contacts:add",
    "show": "tui.commands.contacts:show",
    "list": "tui.commands.contacts:list_contacts",
    "search": "tui.commands.contacts:search",
    "edit": "tui.commands.contacts:edit",
    "delete": "tui.commands.contacts:delete",
    "segment": "tui.commands.segments:segment",
    "relate": "tui.commands.relations:relate",
    "unrelate": "tui.commands.relations:unrelate",
    "relations": "tui.commands.relations:relations",
    "target": "tui.commands.organizing:target",
    "retain": "tui.commands.organizing:retain",
    "expire": "tui.commands.organizing:expire",
    "stats": "tui.commands.organizing:stats",
    "log": "tui.commands.activity:log",
    "history": "tui.commands.activity:history",
    "prefs": "tui.commands.activity:prefs",
    "may-contact": "tui.commands.activity:may_contact",
    "saved": "tui.commands.activity:saved",
    "event": "tui.commands.events:event",
    "backup": "tui.commands.backup:backup_group",
    "recovery-key": "tui.commands.backup:recovery_key",
    "import": "tui.commands.interchange:import_cmd",
    "export": "tui.commands.interchange:export_cmd",
    "duplicates": "tui.commands.interchange:duplicates",
    "merge": "tui.commands.interchange:merge",
    "outreach": "tui.commands.outreach:outreach",
    "id": "tui.commands.sync_cmds:id_group",
    "peer": "tui.commands.sync_cmds:peer_group",
    "sync": "tui.commands.sync_cmds:sync_group",
    "relay": "tui.commands.relay_cmds:relay_group",
    "intake": "tui.commands.intake_cmds:intake_group",
    "map": "tui.commands.geo_map:map_cmd",
    "introduce": "tui.commands.introduce:introduce",
}


def _prepare(name: str, command: click.Command) -> None:
    """Finish a command when its module is first imported: sub-commands that live in another
    module, then the text guard over the whole subtree (issue 14)."""
    if name == "segment":  # issue 7
        from tui.commands import sync_cmds

        assert isinstance(command, click.Group)
        command.add_command(sync_cmds.share)
        command.add_command(sync_cmds.unshare)
    guard(command)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    prepare=_prepare,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
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


def _finite_seconds(
    _ctx: click.Context, _param: click.Parameter, value: float | None
) -> float | None:
    """``nan`` passes every range check (all comparisons are false): refuse it, and ``inf``."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter("must be a number of seconds (at least 10)")
    return value


@cli.command(name="tui")
@click.option(
    "--idle-timeout",
    type=click.FloatRange(min=10),
    callback=_finite_seconds,
    default=None,
    help="Lock after this many idle seconds (default $KITH_IDLE_TIMEOUT, else 300).",
)
@click.pass_context
def tui_cmd(ctx: click.Context, idle_timeout: float | None) -> None:
    """Open the terminal UI."""
    from tui.app import run_app

    kith: KithContext = ctx.obj
    passphrase = None
    if kith.passphrases.file:  # --passphrase-file or $KITH_PASSPHRASE_FILE: unlock with it
        if kith.passphrases.file == "-":
            raise TuiPassphraseFromStdin
        passphrase = kith.passphrases.read_secret()  # one buffer, wiped after unlocking
    run_app(kith.vault_dir, idle_timeout=idle_timeout, passphrase=passphrase)


guard(cli)  # issue 14: every text argument passes the vault's text check (exit 5); lazily
# loaded commands are guarded by _prepare


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI and turn every failure into one line and an exit code."""
    with terminate_like_ctrl_c():
        return _run(argv)


def _run(argv: list[str] | None) -> int:
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
    except click.Abort as error:
        if isinstance(error.__context__, Terminated):  # click turns KeyboardInterrupt into Abort
            click.echo("kith: interrupted.", err=True)
            return 128 + error.__context__.signum
        click.echo("kith: cancelled.", err=True)
        return 1
    except click.ClickException as error:
        click.echo(f"kith: {error.format_message()}", err=True)
        return error.exit_code
    except Terminated as stop:
        click.echo("kith: interrupted.", err=True)
        return 128 + stop.signum
    except KeyboardInterrupt:
        click.echo("kith: interrupted.", err=True)
        return 130
    except Exception as error:
        if is_disk_full(error):
            click.echo(f"kith: {DiskFull().message}", err=True)
            return DiskFull.exit_code
        if isinstance(error, OSError) and error.errno == errno.ENAMETOOLONG:
            click.echo(f"kith: {NameTooLong().message}", err=True)
            return NameTooLong.exit_code
        if os.environ.get("KITH_DEBUG") == "1":
            raise
        click.echo(f"kith: internal error ({type(error).__name__}); details hidden.", err=True)
        return 1
    return 0


def entry() -> None:
    """Console-script wrapper: harden the process first (no core dumps), then run."""
    harden()
    sys.exit(main())
