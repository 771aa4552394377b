"""``kith relay serve``, and the relay side of ``kith sync push|pull relay:URL``.

    kith relay serve --data DIR [--database postgresql://...] [--host H] [--port N]
                     [--ttl-days D] [--quota-mb M] [--quota-items N] [--max-item-mb M]
                     [--rate N] [--max-mailboxes N]

The relay holds no vault and asks for no passphrase: it stores only sealed items
(docs/relay.md). ``--database`` may come from ``$KITH_RELAY_DATABASE`` instead, so that a
database password need not appear in a process list.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from sync import relay_runner
from sync.replica import Replica
from sync.runner import FolderReport
from sync.transports.relay import RelayClient, is_relay, parse_address


class SyncTarget(click.ParamType):
    """A folder (a ``Path``) or ``relay:URL`` (kept as text: a URL is not a path)."""

    name = "FOLDER|relay:URL"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> Path | str:
        text = str(value)
        if is_relay(text):
            parse_address(text)  # BadRelayAddress (exit 5) before anything is unlocked
            return text
        return Path(text)


TARGET = SyncTarget()


def push(replica: Replica, target: str) -> FolderReport:
    """``kith sync push relay:URL``."""
    with RelayClient(parse_address(target)) as client:
        return relay_runner.push_relay(replica, client)


def pull(replica: Replica, target: str) -> FolderReport:
    """``kith sync pull relay:URL``."""
    with RelayClient(parse_address(target)) as client:
        return relay_runner.pull_relay(replica, client)


@click.group(name="relay")
def relay_group() -> None:
    """Run a relay that stores and forwards only sealed data (docs/relay.md)."""


@relay_group.command(name="serve")
@click.option("--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="Folder for the SQLite database (the default storage).")
@click.option("--database", envvar="KITH_RELAY_DATABASE", default=None,
              help="postgresql://... instead of SQLite (default $KITH_RELAY_DATABASE).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="Port (0 picks one and prints it).")
@click.option("--ttl-days", type=click.FloatRange(min=0), default=14.0, show_default=True,
              help="Days an item is kept.")
@click.option("--quota-mb", type=click.IntRange(min=1), default=256, show_default=True,
              help="Megabytes per mailbox.")
@click.option("--quota-items", type=click.IntRange(min=1), default=20_000, show_default=True,
              help="Items per mailbox.")
@click.option("--max-item-mb", type=click.IntRange(1, 64), default=8, show_default=True,
              help="Largest item (a bundle) in megabytes.")
@click.option("--rate", type=click.IntRange(min=1), default=1_200, show_default=True,
              help="Writes per minute per mailbox.")
@click.option("--max-mailboxes", type=click.IntRange(min=1), default=100_000,
              show_default=True, help="Mailboxes the relay holds at most.")
@click.option("--ttl-seconds", type=click.IntRange(min=1), default=None, hidden=True)
@click.option("--sweep-seconds", type=click.FloatRange(min=0.05), default=60.0, hidden=True)
def relay_serve(data_dir: Path | None, database: str | None, host: str, port: int,
                ttl_days: float, quota_mb: int, quota_items: int, max_item_mb: int, rate: int,
                max_mailboxes: int, ttl_seconds: int | None, sweep_seconds: float) -> None:
    """Serve the relay until interrupted (plain HTTP: put TLS in front, docs/relay.md)."""
    from relay.config import Limits
    from relay.server import serve

    if data_dir is None and not database:
        raise click.UsageError("give --data DIR (SQLite) or --database postgresql://...")
    limits = Limits(
        max_item_bytes=max_item_mb << 20, mailbox_bytes=quota_mb << 20,
        mailbox_items=quota_items, writes_per_minute=rate, max_mailboxes=max_mailboxes,
        ttl_seconds=ttl_seconds if ttl_seconds is not None else int(ttl_days * 86_400),
    )

    def listening(bound: int) -> None:
        click.echo(f"listening on {host}:{bound}")
        sys.stdout.flush()

    serve(data_dir, database, host, port, limits, listening, sweep_seconds=sweep_seconds)
