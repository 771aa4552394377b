"""Saved searches (issue 6): the filter parser, evaluation of every key, saved definitions,
index freshness, the marker test, and the CLI (``search --save``, ``list --saved``, ``saved``)."""

from __future__ import annotations

import pytest

from tests.sealed_markers import assert_sealed
from vault.api import Vault
from vault.domain.events import make_event
from vault.domain.filters import MAX_TERMS, Window, parse
from vault.domain.interactions import make_draft
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.preferences import PreferenceChange
from vault.domain.values import DAY, parse_moment
from vault.errors import (
    BadDate,
    BadFilter,
    InvalidInput,
    NoSuchSavedSearch,
    NotFound,
    UnknownChannel,
    UnknownKind,
)

NOW = parse_moment("2026-07-01")

# -- parser ----------------------------------------------------------------------------------


def test_parse_terms() -> None:
    query = parse('city:Lyon tag:Volunteers -contacted:since:2026-06-01 attended:90d '
                  'signed:"Save the Park" zoë "two words" field:shirt=M logged:call:7d')
    keys = [(t.key, t.negated) for t in query.terms]
    assert keys == [("city", False), ("tag", False), ("contacted", True), ("attended", False),
                    ("signed", False), ("text", False), ("text", False), ("field", False),
                    ("logged", False)]
    terms = query.terms
    assert terms[0].value == "lyon" and terms[1].value == "volunteers"
    assert terms[2].window == Window(since=parse_moment("2026-06-01"))
    assert terms[3].window == Window(days=90)
    assert terms[4].value == "save the park"
    assert terms[7].value == "shirt" and terms[7].extra == "m"
    assert terms[8].extra == "call" and terms[8].window == Window(days=7)
    assert query.words == ("zoe", "two", "words")
    assert not query.is_plain_text
    assert parse("ana lima").is_plain_text
    assert parse("12:30 +33:1").is_plain_text  # not a word before the colon: free text
    assert parse('text:"a:b"').terms[0].value == "a:b"
    assert parse("logged:note").terms[0].window == Window()
    assert parse("contacted:ever").terms[0].window == Window()


@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("colour:red", BadFilter),
        ("city:", BadFilter),
        ('signed:"unclosed', BadFilter),
        ("attended:90", BadFilter),
        ("attended:0d", BadFilter),
        ("attended:99999d", BadFilter),
        ("attended:since:June", BadDate),
        ("has:cat", BadFilter),
        ("logged:pigeon", UnknownKind),
        ("allows:fax", UnknownChannel),
        ("event:xyz", BadFilter),
        ("field:=x", BadFilter),
        ("- alone", BadFilter),
        ("x" * 1025, BadFilter),
        (" ".join(["w"] * (MAX_TERMS + 1)), BadFilter),
        ("tag:" + "t" * 300, BadFilter),
    ],
)
def test_parse_refuses(query: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse(query)


def test_errors_name_the_position_not_the_text() -> None:
    with pytest.raises(BadFilter) as caught:
        parse("city:Lyon secretword:x")
    assert "term 2" in caught.value.message and "secretword" not in caught.value.message


# -- evaluation ------------------------------------------------------------------------------


@pytest.fixture
def people(vault: Vault) -> dict[str, bytes]:
    """Five contacts with addresses, tags, fields, history, events and preferences."""
    add = vault.contacts.add
    made = {
        "ana": add(ContactDraft(name="Ana Lima", tags=("volunteers",), org="Union locale",
                                emails=(Email("ana@example.org"),),
                                addresses=(Address(locality="Lyon"),),
                                fields=(("shirt", "M"),), languages=("pt",))),
        "bob": add(ContactDraft(name="Bob Stone", addresses=(Address(locality="Lyon"),),
                                phones=(Phone("+33612345678"),))),
        "cleo": add(ContactDraft(name="Cléo Martin", tags=("Volunteers", "press"),
                                 addresses=(Address(locality="Paris"),), fields=(("shirt", "L"),))),
        "dan": add(ContactDraft(name="Dan Roy", org="Coop")),
        "eve": add(ContactDraft(name="Eve Adams")),
    }
    ids = {k: bytes.fromhex(c.id) for k, c in made.items()}
    log = vault.interactions.log
    log(ids["ana"], make_draft("petition-signed", NOW - 40 * DAY, campaign="Save the park"))
    log(ids["ana"], make_draft("email-sent", NOW - 60 * DAY))
    log(ids["bob"], make_draft("call", NOW - 5 * DAY, direction="out"))
    log(ids["cleo"], make_draft("call", NOW - 5 * DAY, direction="in"))
    log(ids["cleo"], make_draft("donation", NOW - 10 * DAY, amount="5", currency="EUR",
                                campaign="Rent strike"))
    log(ids["dan"], make_draft("meeting", NOW - 100 * DAY))
    ev = vault.events.create(make_event("Assembly", NOW - 20 * DAY))
    event_id = bytes.fromhex(ev.id)
    vault.events.signup(event_id, [ids["ana"], ids["bob"]])
    vault.events.checkin(event_id, [ids["ana"], ids["eve"]])
    vault.preferences.change(ids["ana"], PreferenceChange(allow=("sms:events",)), now=NOW)
    vault.preferences.change(ids["bob"], PreferenceChange(do_not_contact=True), now=NOW)
    ids["event"] = event_id
    return ids


def names(vault: Vault, query: str) -> list[str]:
    found = vault.saved_searches.evaluate(query, now=NOW)
    return [vault.contacts.get_by_id(bytes.fromhex(c)).name.split()[0] for c in found]


def test_contact_keys(vault: Vault, people: dict[str, bytes]) -> None:
    assert names(vault, "city:lyon") == ["Ana", "Bob"]
    assert names(vault, "tag:VOLUNTEERS") == ["Ana", "Cléo"]
    assert names(vault, "tag:volunteers -city:paris") == ["Ana"]
    assert names(vault, "org:union") == ["Ana"]
    assert names(vault, "field:shirt") == ["Ana", "Cléo"]
    assert names(vault, "field:shirt=l") == ["Cléo"]
    assert names(vault, "lang:PT") == ["Ana"]
    assert names(vault, "has:phone") == ["Bob"]
    assert names(vault, "-has:email -has:phone -has:address") == ["Dan", "Eve"]
    assert names(vault, "cleo") == ["Cléo"]  # free text, accent-insensitive
    assert names(vault, "tag:volunteers -lima") == ["Cléo"]
    assert names(vault, "segment:nowhere") == []


def test_activity_keys(vault: Vault, people: dict[str, bytes]) -> None:
    assert names(vault, "attended:90d") == ["Ana", "Eve"]
    assert names(vault, "attended:10d") == []
    assert names(vault, 'signed:"save the park"') == ["Ana"]
    assert names(vault, "-signed:\"Save the park\" city:Lyon") == ["Bob"]
    assert names(vault, "campaign:rent-strike") == []
    assert names(vault, 'campaign:"rent strike"') == ["Cléo"]
    assert names(vault, "donated:30d") == ["Cléo"]
    assert names(vault, "contacted:30d") == ["Bob"]  # Cléo's call was inbound
    assert names(vault, "contacted:ever") == ["Ana", "Bob", "Dan"]
    assert names(vault, "city:Lyon -contacted:since:2026-06-01") == ["Ana"]
    assert names(vault, "logged:call") == ["Bob", "Cléo"]
    assert names(vault, "logged:meeting:90d") == []
    event = people["event"].hex()[:8]
    assert names(vault, f"event:{event}") == ["Ana", "Eve"]
    assert names(vault, f"signup:{event} -event:{event}") == ["Bob"]
    with pytest.raises(NotFound):
        names(vault, "event:ffffffff")


def test_preference_keys(vault: Vault, people: dict[str, bytes]) -> None:
    assert names(vault, "has:prefs") == ["Ana", "Bob"]
    assert names(vault, "has:dnc") == ["Bob"]
    assert names(vault, "allows:sms:events") == ["Ana"]
    assert names(vault, "allows:sms") == ["Ana"]
    assert names(vault, "allows:email") == []


def test_windows_are_relative_to_each_run(vault: Vault, people: dict[str, bytes]) -> None:
    vault.saved_searches.save("recent", "attended:30d")
    assert len(vault.saved_searches.run("recent", now=NOW)) == 2
    assert vault.saved_searches.run("recent", now=NOW + 20 * DAY) == []


def test_index_follows_writes(vault: Vault, people: dict[str, bytes]) -> None:
    assert names(vault, "logged:note") == []  # the index is built now
    vault.interactions.log(people["eve"], make_draft("note", NOW))
    assert names(vault, "logged:note") == ["Eve"]
    vault.contacts.delete([people["eve"]])
    assert names(vault, "logged:note") == []
    fresh = vault.contacts.add(ContactDraft(name="Fay", addresses=(Address(locality="Lyon"),)))
    assert "Fay" in names(vault, "city:Lyon")
    logged = vault.interactions.log(bytes.fromhex(fresh.id), make_draft("sms", NOW))
    assert names(vault, "logged:sms") == ["Fay"]
    vault.interactions.delete(bytes.fromhex(logged.id))
    assert names(vault, "logged:sms") == []


# -- saved definitions -----------------------------------------------------------------------


def test_save_replace_delete(vault: Vault) -> None:
    repo = vault.saved_searches
    first = repo.save("Lyon", "city:Lyon")
    replaced = repo.save("lyon", "city:Lyon tag:x")
    assert replaced.id == first.id and replaced.query == "city:Lyon tag:x"
    assert replaced.name == "lyon"
    repo.save("Active", "attended:90d")
    assert [s.name for s in repo.all()] == ["Active", "lyon"]
    repo.delete("LYON")
    assert [s.name for s in repo.all()] == ["Active"]
    with pytest.raises(NoSuchSavedSearch):
        repo.run("lyon")
    with pytest.raises(BadFilter):
        repo.save("bad", "colour:red")
    with pytest.raises(InvalidInput):
        repo.save("", "city:Lyon")
    with pytest.raises(InvalidInput):
        repo.save("x" * 65, "city:Lyon")
    assert [s.name for s in repo.all()] == ["Active"]


def test_saved_search_is_sealed(vault: Vault) -> None:
    vault.saved_searches.save("Qmsname1", "city:Qmscity2 signed:Qmspetition3")
    assert_sealed(vault, ["Qmsname1", "Qmscity2", "Qmspetition3"])


# -- CLI -------------------------------------------------------------------------------------


def test_index_notices_another_process(vault: Vault, people: dict[str, bytes]) -> None:
    from tests.conftest import PASSPHRASE

    assert names(vault, "logged:note") == []
    other = Vault.open(vault.path, PASSPHRASE)  # another process, as far as SQLite can tell
    try:
        other.interactions.log(people["dan"], make_draft("note", NOW))
    finally:
        other.lock()
    assert names(vault, "logged:note") == ["Dan"]
    assert names(vault, "logged:note") == ["Dan"]  # unchanged since: the marker short-cuts
