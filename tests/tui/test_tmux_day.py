"""A day's work in a real terminal: `kith tui` in tmux, driven by keys, read back as screen text.

Unlock, filter `segment:volunteers`, mark 3 contacts, add them to a segment, log a call, see it
in the history and the frequency limit it reaches, then sign a newcomer up at the event in door
mode with consent. Door mode is typed one field at a time: a key typed before the screen moved
the focus would land in the field that had it, so the test waits for the `>` that marks the
field being typed in before typing into it (and, in the log dialog, for the first letters
typed to show in the kind field). The outreach preview has its own tmux test
(`test_tmux_outreach.py`). Every wait is for text on the screen; the timeouts only end a failing
test.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.tui.app_helpers import PASSPHRASE
from tests.tui.test_tmux_smoke import Tmux, kith_in_tmux, pytestmark  # noqa: F401
from tests.tui.workspace_helpers import make_organizing_vault
from vault.api import Vault

WAIT = 120.0


@pytest.fixture
def day(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    folder = tmp_path / "vault"
    ids = make_organizing_vault(folder, interactions=0)
    with Vault.open(folder, PASSPHRASE) as vault:
        volunteers = vault.segments.create("volunteers")
        people = ("Ada Brandt", "Chiara Dumont", "Efua Fontaine")
        vault.segments.add(volunteers, [bytes.fromhex(ids[n]) for n in people])
        vault.segments.create("canvass team")
    with kith_in_tmux("kith-day", folder, after="sleep 60") as session:
        yield session, folder


def test_a_days_work(day: tuple[Tmux, Path]) -> None:
    tmux, folder = day
    tmux.wait_for("Unlock your Kith vault", WAIT)
    tmux.literal(PASSPHRASE)
    tmux.keys("Enter")
    tmux.wait_for("7 contacts", WAIT)

    tmux.keys("/")
    tmux.wait_for("/ Filter  ^l Lock", WAIT)  # the filter box has the focus
    tmux.literal("segment:volunteers")
    screen = tmux.wait_for("3 of 7 contacts", WAIT)
    assert "Efua Fontaine" in screen and "Bram Castell" not in screen
    tmux.keys("Enter")  # to the list
    tmux.wait_for("e Edit", WAIT)
    tmux.keys("Space", "Space", "Space")
    tmux.wait_for("3 marked", WAIT)

    tmux.keys("g")
    tmux.wait_for("3 contacts chosen", WAIT)
    tmux.wait_for("a Add", WAIT)
    tmux.keys("a")  # "canvass team" sorts first
    tmux.wait_for("3 contact(s) added to canvass team", WAIT)
    tmux.keys("Escape")
    tmux.wait_for("3 marked", WAIT)
    tmux.wait_for("g Segments", WAIT)

    tmux.keys("Home", "Enter")  # Ada's contact screen
    tmux.wait_for("Family name", WAIT)
    tmux.wait_for("l Log", WAIT)
    tmux.keys("l")
    tmux.wait_for("Log an interaction with Ada Brandt", WAIT)
    tmux.wait_for("^s Log it", WAIT)
    # The kind field has the focus (its "call" selected) once typing shows in its row: type
    # "x" (no kind starts so, so nothing is suggested), see it, then type "call" over it.
    # Then Tab moves the focus before the next key is read.
    tmux.literal("x")
    tmux.wait_for("Kind       x ", WAIT)
    tmux.keys("BSpace")
    tmux.literal("call")
    tmux.wait_for("Kind       call ", WAIT)
    tmux.keys("Tab", "Tab", "Tab")  # when "now", direction: to the summary
    tmux.literal("phoned about the rent strike")
    tmux.keys("Enter")
    tmux.wait_for("LIMIT REACHED until", WAIT)  # the call counts against Ada's weekly limit
    tmux.keys("End")  # the history is below the fields
    tmux.wait_for("History: 3 interactions, newest first", WAIT)  # 2 in the fixture
    screen = tmux.wait_for("asked about the assembly", WAIT)  # the older call, scrolled into view
    history = screen[screen.index("History:") :].splitlines()
    assert "call" in history[1] and "phoned about the rent strike" in history[1]  # newest first
    tmux.keys("Escape")
    tmux.wait_for("3 marked", WAIT)

    tmux.keys("v")  # events, for the 3 marked
    tmux.wait_for("Spring assembly", WAIT)
    tmux.wait_for("o Door mode", WAIT)
    tmux.keys("o")
    tmux.wait_for("Sign-up at Spring assembly", WAIT)
    tmux.wait_for("> Name", WAIT)  # the matcher is ready and the name field has the focus
    tmux.literal("Zoe Quist")
    tmux.wait_for("Zoe Quist", WAIT)
    tmux.keys("Enter")
    tmux.wait_for("> Email or phone", WAIT)
    tmux.literal("zoe@example.org")
    tmux.wait_for("zoe@example.org", WAIT)
    tmux.keys("Tab")  # to the consent box: neither field is marked any more
    wait_until(tmux, lambda screen: "> Email" not in screen and "> Name" not in screen)
    tmux.keys("Space")
    tmux.wait_for("[x] Agrees to hear about events", WAIT)
    tmux.keys("Enter")
    screen = tmux.wait_for("a new contact, consent recorded.", WAIT)
    assert "(1 at this door so far)" in screen
    assert "Zoe Quist" not in screen and "zoe@example.org" not in screen  # cleared for the next
    screen = tmux.wait_for("> Name", WAIT)  # the name field has the focus again
    assert "[ ] Agrees" in screen and "Zoe" not in screen
    tmux.keys("Escape")
    tmux.wait_for("Spring assembly", WAIT)
    tmux.keys("Escape")
    tmux.wait_for("3 marked", WAIT)

    tmux.keys("C-q")

    with Vault.open(folder, PASSPHRASE) as vault:
        team = vault.segments.find("canvass team")
        assert team.contacts == 3
        zoe = next(c for c in vault.contacts.all() if c.name == "Zoe Quist")
        assert [e.value for e in zoe.emails] == ["zoe@example.org"]
        prefs = vault.preferences.get(bytes.fromhex(zoe.id))
        assert prefs.allows("email", "events") and not prefs.allows("email", "news")
        assert prefs.consent[-1].source == "sign-up at Spring assembly"


def wait_until(tmux: Tmux, condition: Callable[[str], bool]) -> str:
    """Wait until the screen satisfies `condition` (the bound only ends a failing test)."""
    deadline = time.monotonic() + WAIT
    while True:
        screen = tmux.screen()
        if condition(screen):
            return screen
        assert time.monotonic() < deadline, f"the screen never changed as expected:\n{screen}"
        time.sleep(0.1)
