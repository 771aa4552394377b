"""`kith duplicates` and `kith merge` (issue 3): groups, and merges that keep every value and
all history (interactions, relationships, sign-ups, consent, segments)."""

from __future__ import annotations

import pytest

from vault.api import Vault
from vault.domain import preferences as prefs_mod
from vault.domain.events import make_event
from vault.domain.interactions import make_draft
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.errors import InvalidInput, MergeConflict, NotFound, NothingToMerge
from vault.interchange.contact_merge import merge_contacts, merge_drafts, merge_fields
from vault.interchange.duplicates import find_duplicates
from vault.interchange.importer import ImportOptions, import_contacts

NOW = 1_760_000_000


def add(vault: Vault, **fields: object) -> bytes:
    return bytes.fromhex(vault.contacts.add(ContactDraft(**fields)).id)  # type: ignore[arg-type]


# -- finding --------------------------------------------------------------------------------------


def test_groups_by_email_phone_and_name(vault: Vault) -> None:
    a = add(vault, name="Ana Lima", emails=(Email("ana@example.org"),))
    b = add(
        vault, name="A. Lima", emails=(Email("ANA@example.org"),), phones=(Phone("+33612345678"),)
    )
    c = add(vault, name="Ana at work", phones=(Phone("+33612345678"),))
    d = add(vault, name="Zoe Martin")
    e = add(vault, name="zoë  MARTIN")
    add(vault, name="Someone else", emails=(Email("x@example.org"),))
    groups = find_duplicates(vault)
    assert len(groups) == 2
    strong = next(g for g in groups if "email" in g.reasons)
    assert sorted(m.id for m in strong.members) == sorted(x.hex() for x in (a, b, c))
    assert strong.reasons == ("email", "phone")
    names = next(g for g in groups if g.reasons == ("name",))
    assert sorted(m.id for m in names.members) == sorted(x.hex() for x in (d, e))


def test_a_name_inside_an_email_group_adds_a_reason(vault: Vault) -> None:
    add(vault, name="Ana", emails=(Email("a@example.org"),))
    add(vault, name="ANA", emails=(Email("a@example.org"),))
    (group,) = find_duplicates(vault)
    assert group.reasons == ("email", "name")


# -- merging values -------------------------------------------------------------------------------


def test_merge_drafts_keeps_every_value_once() -> None:
    base = ContactDraft(name="Ana", emails=(Email("a@example.org", "home"),), org="",
                        addresses=(Address("1 rue", "Lyon", label="home"),), notes="one",
                        tags=("x",), fields=(("k", "1"),))  # fmt: skip
    extra = ContactDraft(name="Other", emails=(Email("A@EXAMPLE.org"), Email("b@example.org")),
                         org="Coop", addresses=(Address("1 rue", "Lyon", label="work"),),
                         notes="two", tags=("X", "y"), fields=(("k", "2"), ("k", "1")),
                         phones=(Phone("ask", valid=False),))  # fmt: skip
    merged = merge_drafts(base, extra)
    assert merged.name == "Ana" and merged.org == "Coop"
    assert [e.value for e in merged.emails] == ["a@example.org", "b@example.org"]
    assert len(merged.addresses) == 1
    assert merged.notes == "one\n\ntwo"
    assert merged.tags == ("x", "y")
    assert merged.fields == (("k", "1"), ("k 2", "2"))
    assert merged.phones == (Phone("ask", valid=False),)
    assert merge_drafts(merged, extra) == merged
    assert merge_fields((("k", "1"), ("k 2", "2")), (("k", "2"),)) == (("k", "1"), ("k 2", "2"))


# -- merging contacts in the vault -----------------------------------------------------------------


def test_merge_moves_history_relationships_signups_and_segments(vault: Vault) -> None:
    keep = add(vault, name="Ana", emails=(Email("a@example.org"),))
    gone = add(vault, name="Ana L.", phones=(Phone("+33612345678"),), tags=("press",))
    friend = add(vault, name="Bruno")
    vault.interactions.log(gone, make_draft("call", NOW, summary="talked"))
    vault.interactions.log(keep, make_draft("note", NOW - 10, summary="met"))
    vault.relationships.relate(gone, "works-with", friend)
    vault.relationships.relate(keep, "lives-with", gone)  # would become Ana-Ana: dropped
    event = vault.events.create(make_event("Rally", NOW))
    vault.events.signup(bytes.fromhex(event.id), [gone])
    segment = vault.segments.create("street team")
    vault.segments.add(segment, [gone])

    merged = merge_contacts(vault, keep, [gone], NOW)

    assert merged.name == "Ana"
    assert [p.value for p in merged.phones] == ["+33612345678"]
    assert merged.tags == ("press",)
    assert "street team" in merged.segments
    with pytest.raises(NotFound):
        vault.contacts.get_by_id(gone)
    summaries = sorted(i.summary for i in vault.interactions.history(keep))
    assert summaries == ["met", "talked"]
    relations = vault.relationships.relations(keep)
    assert [(r.kind, r.other_id) for r in relations] == [("works-with", friend.hex())]
    assert vault.events.signups(bytes.fromhex(event.id)) == [keep]
    assert vault.contacts.count() == 2


def test_merge_combines_preferences_deny_wins(vault: Vault) -> None:
    keep = add(vault, name="Ana")
    gone = add(vault, name="Ana 2")
    change = prefs_mod.PreferenceChange
    vault.preferences.change(keep, change(allow=("email", "sms"), max_frequency="weekly"), now=1)
    vault.preferences.change(gone, change(deny=("sms",), max_frequency="monthly",
                                          consent_source="door"), now=2)  # fmt: skip
    merge_contacts(vault, keep, [gone], NOW)
    prefs = vault.preferences.get(keep)
    assert dict(prefs.rules) == {"email": True, "sms": False}
    assert prefs.max_frequency == "monthly"
    assert [c.at for c in prefs.consent] == [1, 2, NOW]
    assert prefs.consent[-1].source == "merge"
    assert vault.records.count("preferences") == 1


def test_merge_refuses_two_targets_and_nothing_changes(vault: Vault) -> None:
    keep = add(vault, name="Mayor")
    gone = add(vault, name="Mayor 2")
    vault.targets.set(keep, institution="City", stance=2)
    vault.targets.set(gone, institution="Region", stance=4)
    with pytest.raises(MergeConflict):
        merge_contacts(vault, keep, [gone], NOW)
    assert vault.contacts.count() == 2
    with pytest.raises(NothingToMerge):
        merge_contacts(vault, keep, [keep], NOW)


def test_merge_refuses_results_over_the_limits(vault: Vault) -> None:
    keep = add(vault, name="A", tags=tuple(f"t{i}" for i in range(60)))
    gone = add(vault, name="B", tags=tuple(f"u{i}" for i in range(60)))
    with pytest.raises(InvalidInput, match="more than 100 tags"):
        merge_contacts(vault, keep, [gone], NOW)


def test_after_a_merge_import_matches_the_kept_contact(vault: Vault) -> None:
    keep = add(vault, name="Ana", emails=(Email("a@example.org"),))
    gone = add(vault, name="Ana 2", emails=(Email("b@example.org"),))
    import_contacts(vault, b"name,emails\nX,z@example.org\n", ImportOptions())  # index both
    merge_contacts(vault, keep, [gone], NOW)
    outcome = import_contacts(vault, b"name,emails\nAna,b@example.org\n", ImportOptions())
    # merged, not unchanged: the row's given name (derived from "Ana", issue 14) fills the
    # kept contact's empty one; either way it is the kept contact and nothing is added
    assert [i.id for i in outcome.merged + outcome.unchanged] == [keep.hex()]
    assert outcome.added == []


def test_merge_keeps_the_earliest_expiry(vault: Vault) -> None:
    from datetime import date

    keep = add(vault, name="Ana", phones=(Phone("+33612345678"),))
    gone = add(vault, name="Ana 2", phones=(Phone("+33698765432"),), fields=(("ward", "N"),))
    vault.retention.retain_contact(gone, date(2030, 1, 31))
    vault.retention.retain_field(gone, "phones", date(2029, 6, 30))
    vault.retention.retain_field(gone, "ward", date(2029, 7, 1))
    merge_contacts(vault, keep, [gone], NOW)
    rules = vault.retention.of_contact(keep).to_json()
    assert rules["until"] == "2030-01-31"
    assert rules["fields"] == {"phones": "2029-06-30", "ward": "2029-07-01"}
