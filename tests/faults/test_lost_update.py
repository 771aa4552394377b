"""Item 1 of issue 14: no lost update between the TUI, the CLI and any other writer.

The scenario from the issue, with a real second process: the TUI's edit form is open on a
contact, ``kith edit`` (a real process) changes its organisation, tags and a custom field,
then the form saves a role change. Everything must survive. When both change the same thing,
the save is refused with one message, the form stays open with what was typed, and the other
writer's value is kept. The repository rule behind it is tested directly too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.conftest import run_kith_process
from tests.tui.app_helpers import PASSPHRASE, app_for, drive, make_vault, unlock, until
from tui.app import KithApp
from tui.screens.detail import DetailScreen
from tui.screens.edit import EditScreen
from vault.api import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.model import ContactDraft
from vault.errors import EditConflict


def _ada(folder: Path) -> ContactDraft:
    with Vault.open(folder, PASSPHRASE) as vault:
        return next(c for c in vault.contacts.all() if c.name == "Ada Brandt")


def _cli_edit(folder: Path, tmp_path: Path, *args: str) -> None:
    passphrase = tmp_path / "pp"
    passphrase.write_text(PASSPHRASE + "\n")
    with Vault.open(folder, PASSPHRASE) as vault:
        ada = next(c for c in vault.contacts.all() if c.name == "Ada Brandt")
    done = run_kith_process(
        "--vault", str(folder), "--passphrase-file", str(passphrase), "edit", ada.id, *args
    )
    assert done.returncode == 0, done.stderr


async def _open_form(pilot: Pilot[None], app: KithApp) -> None:
    await unlock(pilot, app)
    await pilot.press("enter")  # Ada Brandt, first by name
    await until(pilot, lambda: isinstance(app.screen, DetailScreen))
    await pilot.press("e")
    await until(pilot, lambda: isinstance(app.screen, EditScreen))


def test_a_form_save_keeps_what_the_cli_changed_meanwhile(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await _open_form(pilot, app)
        _cli_edit(folder, tmp_path, "--org", "Allotments", "--add-tag", "cli", "--field", "f=v")
        app.screen.query_one("#role", Input).value = "Chair"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: isinstance(app.screen, DetailScreen))

    drive(app, script)
    ada = _ada(folder)
    assert (ada.org, ada.role) == ("Allotments", "Chair")
    assert "cli" in ada.tags and ("f", "v") in ada.fields and ("shirt", "M") in ada.fields


def test_the_same_field_changed_twice_is_refused_and_the_form_stays(tmp_path: Path) -> None:
    folder = make_vault(tmp_path / "v")
    app = app_for(folder)

    async def script(pilot: Pilot[None], app: KithApp) -> None:
        await _open_form(pilot, app)
        _cli_edit(folder, tmp_path, "--role", "Treasurer")
        app.screen.query_one("#role", Input).value = "Chair"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#name-error", Static)
        await until(pilot, lambda: "changed elsewhere" in str(error.render()))
        assert isinstance(app.screen, EditScreen)  # still open, with what was typed
        assert app.screen.query_one("#role", Input).value == "Chair"

    drive(app, script)
    assert _ada(folder).role == "Treasurer"


@pytest.fixture
def repo_vault(tmp_path: Path) -> Vault:
    return Vault.create(tmp_path / "v", "pass phrase", params=TEST_PARAMS, allow_weak=True)


def test_the_repository_merges_three_ways(repo_vault: Vault) -> None:
    contacts = repo_vault.contacts
    made = contacts.add(ContactDraft(name="Ana", tags=("a",), fields=(("k", "1"),)))
    rid = bytes.fromhex(made.id)
    base = made.draft()
    # another writer: a tag, a field, the org
    contacts.update(rid, ContactDraft(name="Ana", org="Org", tags=("a", "b"),
                                      fields=(("k", "1"), ("x", "2"))))  # fmt: skip
    # this writer, from its stale base: the role, a tag removed, a field changed
    mine = ContactDraft(name="Ana", role="Chair", tags=(), fields=(("k", "9"),))
    after = contacts.update(rid, mine, base=base)
    assert (after.org, after.role, after.tags) == ("Org", "Chair", ("b",))
    assert dict(after.fields) == {"k": "9", "x": "2"}
    with pytest.raises(EditConflict):  # the same text attribute, both sides
        contacts.update(rid, ContactDraft(name="Ana", org="Mine"), base=base)
    assert contacts.get_by_id(rid).org == "Org"
