"""Outreach in a real terminal: `kith tui` in tmux, driven by keys, read back as screen text.

Unlock, filter `segment:Volunteers`, mark two people (one of them asked not to be contacted),
open outreach with `o`, compose an email to the marked with a merge field, and read the preview:
one recipient, one exclusion with its reason, the sample rendered for the recipient. Nothing is
sent (no transport is configured; the send is covered by the pilot tests with a real SMTP
server). Every wait is for text on the screen; the timeouts only end a failing test.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from outreach.outbox import Outbox
from tests.tui.app_helpers import PASSPHRASE
from tests.tui.outreach_helpers import make_outreach_vault
from tests.tui.test_tmux_smoke import Tmux, kith_in_tmux, pytestmark  # noqa: F401
from vault.api import Vault

WAIT = 120.0


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    folder = tmp_path / "vault"
    make_outreach_vault(folder)
    with kith_in_tmux("kith-outreach", folder, after="sleep 60") as session:
        yield session, folder


def test_compose_and_preview_an_email_to_the_marked(terminal: tuple[Tmux, Path]) -> None:
    tmux, folder = terminal
    tmux.wait_for("Unlock your Kith vault", WAIT)
    tmux.literal(PASSPHRASE)
    tmux.keys("Enter")
    tmux.wait_for("12 contacts", WAIT)

    tmux.keys("/")
    tmux.wait_for("/ Filter  ^l Lock", WAIT)
    tmux.literal("segment:Volunteers -tag:volunteer")  # Bram, Dana and the five extras
    tmux.wait_for("7 of 12 contacts", WAIT)
    tmux.keys("Enter")
    tmux.wait_for("e Edit", WAIT)
    tmux.keys("Space", "Space")  # Bram Castell, Dana Refuser (name order)
    tmux.wait_for("2 marked", WAIT)

    tmux.keys("o")
    tmux.wait_for("2 contacts marked", WAIT)
    tmux.wait_for("No messages yet", WAIT)
    tmux.keys("n")
    tmux.wait_for("Compose a message", WAIT)
    screen = tmux.wait_for("The 2 marked contact(s)", WAIT)  # the default audience
    tmux.wait_for("Audience: a segment", WAIT)  # the bottom line names the focused field
    tmux.keys("Tab", "Tab")  # audience -> event -> subject
    tmux.wait_for("Subject: one line", WAIT)  # keys typed before the focus moves are lost
    tmux.literal("Assembly, {given_name|friend}")
    tmux.wait_for("Assembly, {given_name|friend}", WAIT)
    tmux.keys("Enter")  # to the body
    tmux.wait_for("Body: plain text", WAIT)
    tmux.literal("Dear {given_name|friend}, see you Friday.")
    tmux.wait_for("see you Friday.", WAIT)
    tmux.keys("C-s")
    screen = tmux.wait_for("0 will receive it, 2 excluded, of 2", WAIT)
    assert "no consent recorded (opt-in)" in screen
    assert "Dana Refuser" in screen and "do-not-contact" in screen
    assert "Nobody would receive it" in screen

    tmux.keys("Escape")
    tmux.wait_for("draft", WAIT)
    tmux.keys("Escape")
    tmux.wait_for("2 marked", WAIT)
    tmux.keys("C-q")

    with Vault.open(folder, PASSPHRASE) as vault:
        (message,) = Outbox.of(vault).messages()
        assert message.subject == "Assembly, {given_name|friend}" and not message.frozen
