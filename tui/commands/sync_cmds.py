"""Sync commands: ``kith id``, ``kith peer``, ``kith segment share|unshare`` and ``kith sync``.

    kith id show | id invite
    kith peer add NAME CODE | peer verify NAME [--yes] | peer list [--json]
    kith segment share NAME PEER [--role reader|writer|admin] | segment unshare NAME PEER
    kith sync push DIR | sync pull DIR | sync serve [--listen H:P] [--forever]
    kith sync connect HOST:PORT [--peer NAME] | sync status [--json]
    kith sync | sync relay set|unset|list (relays per peer or segment: ``sync_relays``)

Output follows ``tui/output.py``: results on stdout, progress and reports on stderr. A bundle
that is refused is reported with the pipeline step and the error's one-line message, and the
command exits with that error's code after the summary.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sync import report as sync_report
from sync import runner, session
from sync.bodies import Role
from sync.errors import UnknownPeer
from sync.replica import Replica
from sync.safety import device_number, invitation_code, parse_invitation, safety_number
from tui.after_write import after_write  # noqa: F401 (re-exported for segments.py)
from tui.commands import relay_cmds, sync_relays
from tui.context import KithContext, pass_kith
from tui.errors import Cancelled, ConfirmationRequired
from tui.output import emit_json, when
from tui.safe_text import safe
from vault.errors import InvalidInput, KithError

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _mine(replica: Replica) -> tuple[bytes, bytes]:
    return replica.me.signing_public, replica.me.box_public


# -- kith id ------------------------------------------------------------------------------------


@click.group(name="id")
def id_group() -> None:
    """This device's identity: safety number and invitation code."""


@id_group.command(name="show")
@pass_kith
def id_show(kith: KithContext) -> None:
    """Show this device's half of every safety number (and a QR code of its invitation)."""
    me = kith.unlock().identity
    click.echo(device_number(me.signing_public, me.box_public))
    if sys.stderr.isatty():
        import segno

        segno.make(invitation_code(me.signing_public, me.box_public)).terminal(
            out=sys.stderr, compact=True
        )


@id_group.command(name="invite")
@pass_kith
def id_invite(kith: KithContext) -> None:
    """Print the invitation code another organizer adds with `kith peer add`."""
    me = kith.unlock().identity
    click.echo("Give this code to the other organizer (it is not secret, but check the", err=True)
    click.echo("safety number with them before trusting it):", err=True)
    click.echo(invitation_code(me.signing_public, me.box_public))


# -- kith peer ----------------------------------------------------------------------------------


@click.group(name="peer")
def peer_group() -> None:
    """Other organizers you sync with."""


@peer_group.command(name="add")
@click.argument("name")
@click.argument("code")
@pass_kith
def peer_add(kith: KithContext, name: str, code: str) -> None:
    """Record another organizer's invitation code (unverified until you compare numbers)."""
    invitation = parse_invitation(code)
    label = name.strip()
    if not label or len(label) > 64 or any(not c.isprintable() for c in label):
        raise InvalidInput("(a peer name is 1 to 64 printable characters)")
    replica = Replica(kith.unlock())
    if invitation.signing_public == replica.me.signing_public:
        raise InvalidInput("(that is this device's own code)")
    runner.add_peer(replica, label, invitation.signing_public, invitation.box_public)
    click.echo(f"added {safe(label)} (unverified): compare safety numbers with", err=True)
    click.echo(f"`kith peer verify {safe(label)}` before making them an admin", err=True)


@peer_group.command(name="verify")
@click.argument("name")
@click.option("--yes", is_flag=True, help="The numbers were compared and match.")
@pass_kith
def peer_verify(kith: KithContext, name: str, yes: bool) -> None:
    """Compare safety numbers in person or by voice, then mark the peer verified."""
    replica = Replica(kith.unlock())
    peer = replica.peers.peers.get(name)
    if peer is None:
        raise UnknownPeer
    theirs = (peer.signing_public, peer.box_public)
    number = safety_number(_mine(replica), theirs)
    click.echo(f"you:            {device_number(*_mine(replica))}", err=True)
    click.echo(f"{safe(name)[:14] + ':':<15} {device_number(*theirs)}", err=True)
    click.echo("safety number (both read the same digits):", err=True)
    click.echo(number)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfirmationRequired
        if not click.confirm("Did you compare it with them in person or by voice, and do all "
                             "digits match?", err=True):
            raise Cancelled
    runner.verify_peer(replica, name, number)
    click.echo(f"{safe(name)} is verified", err=True)


def _state(halted: bool, verified: bool) -> str:
    return "halted: key changed" if halted else "verified" if verified else "unverified"


@peer_group.command(name="list")
@json_option
@pass_kith
def peer_list(kith: KithContext, as_json: bool) -> None:
    """List peers, whether each is verified, and when each was last heard."""
    replica = Replica(kith.unlock())
    rows: list[dict[str, Any]] = []
    for label, peer in sorted(replica.peers.peers.items()):
        heard = replica.status.heard.get(peer.signing_public.hex())
        rows.append({
            "name": label, "state": _state(peer.halted, peer.verified),
            "verified": peer.verified, "halted": peer.halted,
            "number": device_number(peer.signing_public, peer.box_public),
            "last_heard": None if heard is None else heard // 1000,
        })
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        seen = "never" if row["last_heard"] is None else when(row["last_heard"])
        click.echo(f"{safe(row['name'])}  {row['state']}  last heard {seen}")


# -- kith segment share / unshare ---------------------------------------------------------------


@click.command(name="share")
@click.argument("name")
@click.argument("peer")
@click.option("--role", type=click.Choice([r.value for r in Role]), default="writer",
              show_default=True, help="What the peer may do.")
@pass_kith
def share(kith: KithContext, name: str, peer: str, role: str) -> None:
    """Share a segment with a peer (admins must be verified peers)."""
    replica = Replica(kith.unlock())
    runner.share(replica, name, peer, Role(role), runner.now_ms())
    click.echo(f"shared {safe(name)} with {safe(peer)} as {role}; sync to deliver it", err=True)


@click.command(name="unshare")
@click.argument("name")
@click.argument("peer")
@pass_kith
def unshare(kith: KithContext, name: str, peer: str) -> None:
    """Remove a peer from a segment and rotate its key (they cannot read later writes)."""
    replica = Replica(kith.unlock())
    runner.unshare(replica, name, peer, runner.now_ms())
    click.echo(f"removed {safe(peer)} from {safe(name)}; the segment key was rotated", err=True)


# -- kith sync ----------------------------------------------------------------------------------


@click.group(name="sync", invoke_without_command=True)
@click.pass_context
def sync_group(ctx: click.Context) -> None:
    """Sync shared segments through a folder or directly; alone, through the configured relays.

    `kith sync` with no command pulls from, then pushes to, every relay configured with
    `kith sync relay set` (docs/relay.md).
    """
    if ctx.invoked_subcommand is None:
        kith = ctx.find_object(KithContext)
        assert kith is not None  # the root command always sets it
        sync_relays.sync_configured(kith, _report)


def _report(taken: list[runner.Received], *, raise_lasting: bool = True) -> None:
    """Print refusals; raise the first lasting one after the summary (unless told not to)."""
    applied = sum(1 for t in taken if t.applied)
    refused = [t for t in taken if t.error is not None]
    for item in refused:
        assert item.error is not None
        click.echo(f"refused a {item.kind} at {item.step}: {item.error.message}", err=True)
    voided = sum(t.voided for t in taken)
    if voided:
        click.echo(f"{voided} change(s) by someone removed, or without the role, were logged "
                   "without effect", err=True)
    for by, name in sorted({(t.removed_by, t.removed_from or "a shared segment")
                            for t in taken if t.removed_by is not None}):
        click.echo(f"you were removed from {safe(name)} by {safe(by)}: its later changes will "
                   "not reach you, and yours are no longer sent", err=True)
    forks = sorted({f for t in taken for f in t.forks})
    for name in forks:
        click.echo(f"warning: {safe(name)} signed two histories: their changes are on hold",
                   err=True)
    click.echo(f"took {applied} file(s), refused {len(refused)}", err=True)
    lasting = [t.error for t in refused if t.error is not None and not t.retryable]
    if lasting and raise_lasting:
        raise lasting[0]


@sync_group.command(name="push")
@click.argument("folder", type=relay_cmds.TARGET)
@pass_kith
def push(kith: KithContext, folder: Path | str) -> None:
    """Write what others lack to FOLDER (a USB stick, a Syncthing folder) or relay:URL."""
    replica = Replica(kith.unlock())
    if isinstance(folder, str):  # relay:URL (issue 16)
        report = relay_cmds.push(replica, folder)
    else:
        report = runner.push_folder(replica, folder)
    for segment in report.skipped:
        click.echo(f"skipped segment {segment[:12]}: a member's key changed (verify them)",
                   err=True)
    click.echo(f"wrote {report.written} file(s)", err=True)


@sync_group.command(name="pull")
@click.argument("folder", type=relay_cmds.TARGET)
@pass_kith
def pull(kith: KithContext, folder: Path | str) -> None:
    """Take new files from FOLDER or relay:URL (files for others, or incomplete, are left)."""
    replica = Replica(kith.unlock())
    if isinstance(folder, str):  # relay:URL (issue 16)
        report = relay_cmds.pull(replica, folder)
    else:
        report = runner.pull_folder(replica, folder)
        if report.ignored:
            click.echo(f"{report.ignored} file(s) are not Kith sync files or are over 64 MiB: "
                       "ignored from now on", err=True)
    if report.unopened:
        click.echo(f"{report.unopened} file(s) could not be opened (for a segment you do not "
                   "hold, damaged, or not readable yet): kept for the next pull", err=True)
    _report(report.taken)


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or int(port) > 65535:
        raise click.BadParameter("use HOST:PORT")
    return host.strip("[]"), int(port)


@sync_group.command(name="serve")
@click.option("--listen", "listen", default="127.0.0.1:0", show_default=True,
              help="Address to listen on (port 0 picks one and prints it).")
@click.option("--forever", is_flag=True, help="Keep serving sessions until interrupted.")
@pass_kith
def serve(kith: KithContext, listen: str, forever: bool) -> None:
    """Wait for a peer to connect, and sync with it (one session unless --forever)."""
    host, port = _host_port(listen)
    vault = kith.unlock()

    def listening(bound: int) -> None:
        click.echo(f"listening on {host}:{bound}")
        sys.stdout.flush()

    def done(report: session.SessionReport) -> None:
        click.echo(f"synced with {safe(report.peer)}: sent {report.sent} bundle(s)", err=True)
        _report(report.taken, raise_lasting=not forever)

    def failed(error: KithError) -> None:  # --forever: report it, keep serving
        click.echo(f"a session failed: {error.message}", err=True)

    session.serve(lambda: Replica(vault), host, port, listening, forever=forever,
                  on_session=done, on_failure=failed)


@sync_group.command(name="connect")
@click.argument("address")
@click.option("--peer", "label", default=None, help="The peer you expect (checks its key).")
@pass_kith
def connect(kith: KithContext, address: str, label: str | None) -> None:
    """Connect to a peer running `kith sync serve`, and sync with it."""
    host, port = _host_port(address)
    replica = Replica(kith.unlock())
    report = session.connect(replica, host, port, label)
    click.echo(f"synced with {safe(report.peer)}: sent {report.sent} bundle(s)", err=True)
    _report(report.taken)


@sync_group.command(name="status")
@json_option
@pass_kith
def status(kith: KithContext, as_json: bool) -> None:
    """Per shared segment and peer: what they still lack, and when each was last heard."""
    vault = kith.unlock()
    replica = Replica(vault)
    runner.capture_all(replica, runner.now_ms())
    replica.save()
    rows = sync_report.status(replica)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("nothing is shared yet", err=True)
    for seg in rows:
        click.echo(f"{safe(seg['segment'])}  (you: {seg['role'] or 'removed'}, "
                   f"key epoch {seg['epoch']})")
        for m in seg["members"]:
            heard = "never" if m["last_heard"] is None else when(m["last_heard"])
            click.echo(f"  {safe(m['name']):<20} {m['role']:<7} {m['state']:<11} "
                       f"lacks {m['pending']} change(s)  last heard {heard}")


sync_group.add_command(sync_relays.relay_config_group)
