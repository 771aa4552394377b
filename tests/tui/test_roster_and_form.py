"""The non-visual parts of the TUI: the background-filled index (Roster) and the edit form's text
format (render and parse), tested without Textual."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.app_helpers import HOSTILE, PASSPHRASE, PEOPLE, make_vault
from tui.screens.form import FieldError, form_texts, parse_form
from tui.screens.roster import EntryRows, Roster, View
from tui.widgets.contact_list import ContactRow
from vault.api import Vault
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.search import entry_for

# -- Roster -------------------------------------------------------------------------------------


@pytest.fixture
def opened(tmp_path: Path) -> Vault:
    return Vault.open(make_vault(tmp_path / "v"), PASSPHRASE)


def test_fill_publishes_batches_then_completes(
    opened: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.screens.roster.FIRST_BATCH", 2)
    monkeypatch.setattr("tui.screens.roster.BATCH", 3)
    roster = Roster(opened)
    seen: list[tuple[int, int, bool]] = []
    assert roster.fill(lambda done, total: seen.append((done, total, roster.complete)))
    assert seen == [(0, 6, False), (2, 6, False), (5, 6, False), (6, 6, True)]
    rows = roster.rows(View())
    assert [r.name for r in rows] == sorted(p.name for p in PEOPLE)
    assert isinstance(rows[0], ContactRow)
    opened.lock()


def test_locking_during_fill_stops_it_quietly(
    opened: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("tui.screens.roster.FIRST_BATCH", 2)
    roster = Roster(opened)

    def lock_now(done: int, _total: int) -> None:
        if done:
            roster.close()
            opened.lock()  # the database closes under the loop

    assert roster.fill(lock_now) is False
    assert roster.count() == 0


def test_a_contact_deleted_while_filling_is_not_brought_back(opened: Vault) -> None:
    roster = Roster(opened)
    first = next(opened.contacts.all())
    roster._add([entry_for(first)])
    roster.delete(first.id)
    roster._add([entry_for(first)])  # the fill had already read it
    assert first.id not in {r.id for r in roster.rows(View())}
    opened.lock()


def test_views_filter_tag_and_sort(opened: Vault) -> None:
    roster = Roster(opened)
    roster.fill(lambda *_: None)
    assert [r.name for r in roster.rows(View(tag="volunteer"))] == [
        "Ada Brandt", "Chiara Dumont", "Efua Fontaine",
    ]  # fmt: skip
    assert [r.name for r in roster.rows(View(query="dumont"))] == ["Chiara Dumont"]
    assert [r.name for r in roster.rows(View(query="a", tag="press"))] == ["Chiara Dumont"]
    assert len(roster.rows(View(sort="updated"))) == 6
    assert roster.tags() == [("board", 1), ("driver", 1), ("legal", 1), ("press", 1),
                             ("volunteer", 3)]  # fmt: skip
    rows = roster.rows(View())
    assert rows.index_of(rows[3].id) == 3 and rows.index_of("nope") is None
    assert len(rows[1:3]) == 2
    opened.lock()


def test_entry_rows_are_made_only_when_read() -> None:
    rows = EntryRows([])
    assert len(rows) == 0 and rows.index_of(None) is None


# -- form ---------------------------------------------------------------------------------------


def test_form_round_trip_keeps_a_contact_unchanged() -> None:
    person = PEOPLE[0]
    assert parse_form(form_texts(person), person, "FR") == person


def test_form_shows_control_characters_harmlessly_and_keeps_them_if_untouched() -> None:
    texts = form_texts(HOSTILE)
    assert "\x1b" not in "".join(texts.values()) and texts["org"] == "Evil]0;ownedCorp"
    assert parse_form(texts, HOSTILE, "FR").org == HOSTILE.org
    edited = {**texts, "org": "Evil Corp"}
    assert parse_form(edited, HOSTILE, "FR").org == "Evil Corp"


def test_form_parses_labels_addresses_fields_and_languages() -> None:
    texts = form_texts(None) | {
        "name": " Noor ",
        "emails": "home: noor@example.org\n\n  other@example.org  ",
        "phones": "mobile: 06 12 34 56 78",
        "addresses": "work: 1 Quay St; Leeds; ; LS1; GB",
        "fields": "badge=42\nshirt = L",
        "languages": "ar, fr,",
        "tags": "press\nPress\nlegal",
    }
    draft = parse_form(texts, None, "FR")
    assert draft.name == "Noor"
    assert draft.emails == (Email("noor@example.org", "home"), Email("other@example.org"))
    assert draft.phones == (Phone("+33612345678", "mobile"),)
    assert draft.addresses == (Address("1 Quay St", "Leeds", "", "LS1", "GB", "work"),)
    assert draft.fields == (("badge", "42"), ("shirt", "L"))
    assert draft.languages == ("ar", "fr")
    assert draft.tags == ("press", "legal")


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("emails", "a@example.org\nnope", "email 2 is not a valid address"),
        ("phones", "12", "phone 1 is not a valid number"),
        ("addresses", "a;b;c;d;e;f", "at most 5 parts"),
        ("fields", "no equals sign", "KEY=VALUE"),
        ("name", "", "needs a name"),
    ],
)
def test_form_errors_name_the_field(field: str, text: str, message: str) -> None:
    texts = form_texts(None) | {"name": "" if field == "name" else "X", field: text}
    with pytest.raises(FieldError) as caught:
        parse_form(texts, None, "FR")
    assert caught.value.field == field and message in caught.value.message


def test_a_kept_phone_that_never_parsed_is_not_rechecked() -> None:
    draft = ContactDraft(name="K", phones=(Phone("0800 not a number", "", valid=False),))
    texts = form_texts(draft) | {"role": "Steward"}
    assert parse_form(texts, draft, "FR").phones == draft.phones
