"""Vault commands: init, passwd, info, burn."""

from __future__ import annotations

import os
import sys

import click

from tui import process_guard
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json
from vault import (
    BURN_LIMITS,
    DEFAULT_REGION,
    KDF_START,
    KdfParams,
    Vault,
    burn,
    calibrate_kdf,
    check_kdf_params,
)


def weak_kdf_allowed() -> bool:
    """Tests (and only tests) may create vaults below the KDF floor: KITH_ALLOW_WEAK_KDF=1."""
    return os.environ.get("KITH_ALLOW_WEAK_KDF") == "1"


def chosen_params(memory_mib: int | None, time_cost: int | None) -> KdfParams | None:
    """Explicit Argon2id parameters, or None to calibrate."""
    if memory_mib is None and time_cost is None:
        return None
    return KdfParams(
        memory_kib=(memory_mib or KDF_START.memory_kib // 1024) * 1024,
        time_cost=time_cost or KDF_START.time_cost,
        parallelism=KDF_START.parallelism,
    )


@click.command()
@click.option("--kdf-memory", "memory_mib", type=click.IntRange(1, 4096), help="Argon2id MiB.")
@click.option("--kdf-time", "time_cost", type=click.IntRange(1, 16), help="Argon2id passes.")
@click.option("--region", default=DEFAULT_REGION, show_default=True, help="Default phone region.")
@pass_kith
def init(kith: KithContext, memory_mib: int | None, time_cost: int | None, region: str) -> None:
    """Create a new vault."""
    params = chosen_params(memory_mib, time_cost)
    if params is not None:
        check_kdf_params(params, allow_weak=weak_kdf_allowed())
    passphrase = kith.passphrases.read_new(kith.passphrases.file)
    if params is None:
        click.echo("Calibrating Argon2id for this machine...", err=True)
        params, seconds = calibrate_kdf()
        click.echo(f"{params.describe()} takes {seconds:.2f} s here.", err=True)
    vault = Vault.create(
        kith.vault_dir, passphrase, params=params, allow_weak=weak_kdf_allowed(), region=region
    )
    kith.opened.append(vault)
    click.echo(f"Created a vault in {kith.vault_dir} ({params.describe()}).", err=True)
    click.echo(vault.vault_id.hex())


@click.command()
@click.option("--new-passphrase-file", default=None, help="Read the new passphrase from FILE.")
@pass_kith
def passwd(kith: KithContext, new_passphrase_file: str | None) -> None:
    """Change the passphrase and the vault key (the database is re-encrypted)."""
    old = kith.passphrases.read()
    vault = Vault.open(kith.vault_dir, old)
    kith.opened.append(vault)
    for notice in vault.notices:
        click.echo(notice, err=True)
    new = kith.passphrases.read_new(new_passphrase_file)
    vault.change_passphrase(old, new, allow_weak=weak_kdf_allowed())
    click.echo("Passphrase changed.", err=True)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def info(kith: KithContext, as_json: bool) -> None:
    """Show the vault's id, format, KDF parameters and counts (no secrets)."""
    facts = kith.unlock().info()
    facts["process"] = process_guard.status().to_json()  # issue 12: core dumps off?
    if as_json:
        emit_json(facts)
        return
    kdf_facts = facts["kdf"]
    click.echo(f"vault     {facts['path']}")
    click.echo(f"id        {facts['vault_id']}")
    click.echo(f"format    {facts['format_version']} (Kith {facts['app_version']})")
    click.echo(
        f"kdf       argon2id m={kdf_facts['memory_kib'] // 1024} MiB "
        f"t={kdf_facts['time_cost']} p={kdf_facts['parallelism']}"
    )
    click.echo(f"sqlcipher {facts['cipher_version']}")
    click.echo(f"region    {facts['region']}")
    for name, count in facts["counts"].items():
        click.echo(f"{name:<9} {count}")
    process = facts["process"]
    traceable = {False: "no", True: "yes", None: "unknown"}[process["dumpable"]]
    click.echo(f"process   core dumps {process['core_dumps']}, debuggable by the user: {traceable}")


@click.command(name="burn")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_kith
def burn_cmd(kith: KithContext, yes: bool) -> None:
    """Destroy the vault now: keys first, then every file. No passphrase needed."""
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        typed = click.prompt("Type BURN to destroy this vault for good", err=True, default="")
        if typed != "BURN":
            raise Cancelled
    burn(kith.vault_dir)
    click.echo("Vault burned.", err=True)
    click.echo(BURN_LIMITS, err=True)


@click.command()
@pass_kith
def check(kith: KithContext) -> None:
    """Verify the whole vault: every database page and every sealed value.

    Opens both header copies and the key tree, every record key, every record of every type,
    every segment name and key, the sync state and the device identity; any damage exits 6.
    """
    counts = kith.unlock().check_all()
    opened = ", ".join(f"{count} {kind.replace('_', ' ')}(s)" for kind, count in counts.items())
    click.echo(f"Vault intact: every page verified; opened {opened}.", err=True)
