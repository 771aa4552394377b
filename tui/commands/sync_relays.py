"""Relays configured per peer or per segment, and plain ``kith sync`` through them (issue 16).

    kith sync                                   # pull, then push, through every configured relay
    kith sync relay set (--peer NAME | --segment NAME) relay:URL
    kith sync relay unset (--peer NAME | --segment NAME)
    kith sync relay list [--json]

The configuration is sealed in the vault (``sync/relay_config.py``). Each relay is taken in
turn with the same runner as ``kith sync pull|push relay:URL``: a pull first (so what is pushed
includes what was just learned), then a push of what that relay carries. A relay that does not
answer is reported on one line and the others are still synced; the command then exits with
that relay's error (``RelayUnreachable``: exit 1, worth retrying). Nothing is half-applied: a
pull commits bundle by bundle, a push records only what the relay confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from sync import relay_config, relay_runner
from sync.replica import Replica
from sync.runner import FolderReport
from sync.transports.relay import parse_address
from tui.context import KithContext, pass_kith
from tui.output import emit_json
from tui.safe_text import safe
from vault.errors import KithError


def _which(peer: str | None, segment: str | None) -> tuple[str, str]:
    if (peer is None) == (segment is None):
        raise click.UsageError("give exactly one of --peer NAME or --segment NAME")
    return ("peer", peer) if peer is not None else ("segment", str(segment))


@click.group(name="relay")
def relay_config_group() -> None:
    """Relays that plain `kith sync` uses, per peer or per segment."""


@relay_config_group.command(name="set")
@click.option("--peer", default=None, help="Sync with this peer through the relay.")
@click.option("--segment", default=None, help="Sync this segment through the relay.")
@click.argument("address", metavar="relay:URL")
@pass_kith
def relay_set(kith: KithContext, peer: str | None, segment: str | None, address: str) -> None:
    """Use relay:URL for a peer (every segment shared with them) or for one segment."""
    kind, name = _which(peer, segment)
    parse_address(address)  # BadRelayAddress (exit 5) before unlocking
    replica = Replica(kith.unlock())
    setter = relay_config.set_peer if kind == "peer" else relay_config.set_segment
    base = setter(replica, name, address)
    click.echo(f"{kind} {safe(name)} syncs through relay:{safe(base)} with `kith sync`", err=True)


@relay_config_group.command(name="unset")
@click.option("--peer", default=None, help="The peer whose relay to forget.")
@click.option("--segment", default=None, help="The segment whose relay to forget.")
@pass_kith
def relay_unset(kith: KithContext, peer: str | None, segment: str | None) -> None:
    """Forget the relay configured for a peer or a segment."""
    kind, name = _which(peer, segment)
    replica = Replica(kith.unlock())
    (relay_config.unset_peer if kind == "peer" else relay_config.unset_segment)(replica, name)
    click.echo(f"{kind} {safe(name)} no longer has a relay", err=True)


@relay_config_group.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def relay_list(kith: KithContext, as_json: bool) -> None:
    """Configured relays: [{kind: peer|segment, name, relay}]."""
    rows = relay_config.entries(Replica(kith.unlock()))
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no relay is configured (`kith sync relay set`)", err=True)
    for row in rows:
        click.echo(f"{row['kind']:<8} {safe(row['name'])}  relay:{safe(row['relay'])}")


def sync_configured(kith: KithContext,
                    report: Callable[[list[Any]], None]) -> None:
    """``kith sync``: pull then push through every configured relay (module rules)."""
    replica = Replica(kith.unlock())
    if not relay_config.plan(replica):
        raise click.UsageError("no relay is configured: `kith sync relay set --peer NAME "
                               "relay:URL`, or use a subcommand (kith sync --help)")
    rounds = relay_runner.sync_configured(replica)
    failed: KithError | None = None
    taken: list[Any] = []
    for turn in rounds:
        if turn.error is not None:
            if len(rounds) > 1:  # which one failed (with one relay, the error line says it all)
                click.echo(f"relay:{safe(turn.base)}: {turn.error.message}", err=True)
            failed = failed or turn.error
        if turn.pulled is not None:
            taken += turn.pulled.taken
        if turn.pulled is not None and turn.pushed is not None:
            _summary(turn.base, turn.pulled, turn.pushed)
    if taken or any(turn.error is None for turn in rounds):
        report(taken)  # a lone relay that did not answer leaves one line: its error
    if failed is not None:
        raise failed


def _summary(base: str, pulled: FolderReport, pushed: FolderReport) -> None:
    for segment in pushed.skipped:
        click.echo(f"skipped segment {segment[:12]}: a member's key changed (verify them)",
                   err=True)
    if pulled.unopened:
        click.echo(f"{pulled.unopened} file(s) could not be opened yet: kept for the next sync",
                   err=True)
    click.echo(f"relay:{safe(base)}: took {sum(1 for t in pulled.taken if t.applied)}, "
               f"wrote {pushed.written} file(s)", err=True)
