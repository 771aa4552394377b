"""The relay and intake command lines: usage errors and refusals, in-process."""

from __future__ import annotations

from click.testing import CliRunner

from tests.conftest import Kith
from tui.cli import cli


def test_relay_serve_needs_a_storage() -> None:
    result = CliRunner().invoke(cli, ["relay", "serve"])
    assert result.exit_code == 2 and "--data DIR" in result.output


def test_intake_refusals(kith: Kith) -> None:
    assert kith("intake", "pull", "Nope").exit_code == 4
    assert kith("intake", "create", "Door", "--consent", "email").exit_code == 5  # no label
    assert kith("intake", "create", "Door", "--consent", "fax=Fax me").exit_code == 5
    assert kith("intake", "create", "Door", "--sms").exit_code == 5  # SMS needs a relay
    assert kith("intake", "create", "Door", "--relay", "relay:http://example.org"
                ).exit_code == 5
    assert kith("intake", "create", "Door", "--consent", "email=Email me").exit_code == 0
    assert kith("intake", "create", "door").exit_code == 5  # the name is taken
    for command in ("pull", "publish"):
        refused = kith("intake", command, "Door")
        assert refused.exit_code == 5 and "kiosk" in refused.stderr
    listed = kith("intake", "list", "--json")
    assert listed.exit_code == 0 and '"Door"' in listed.stdout
