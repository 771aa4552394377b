"""One rule for a contact a person types, in the CLI and the TUI alike (issue 15):
``validate.normalize_typed``, reached through ``Vault.normalize_contact``."""

from __future__ import annotations

import json

import pytest

from tests.conftest import PASSPHRASE, Kith
from tui.screens.form import FieldError, form_texts, parse_form
from vault import Vault
from vault.domain.model import ContactDraft, Phone
from vault.domain.validate import normalize_typed
from vault.errors import InvalidInput

KEPT = Phone("0800 not a number", "", valid=False)  # what a lenient import keeps as typed


def _imported(kith: Kith) -> str:
    """A contact as an import leaves it: one phone that never parsed, kept as typed."""
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        return vault.contacts.add(ContactDraft(name="Imported", phones=(KEPT,))).id


def test_a_kept_phone_does_not_block_editing_from_the_cli(kith: Kith) -> None:
    contact_id = _imported(kith)
    edited = kith("edit", contact_id, "--org", "Tenants Union", "--json")
    assert edited.exit_code == 0, edited.stderr
    shown = json.loads(edited.stdout)
    assert shown["org"] == "Tenants Union"
    assert [p["value"] for p in shown["phones"]] == [KEPT.value]


def test_a_new_phone_that_does_not_parse_is_refused_from_the_cli(kith: Kith) -> None:
    contact_id = _imported(kith)
    refused = kith("edit", contact_id, "--add-phone", "12")
    assert refused.exit_code == 5
    assert kith("add", "--name", "New", "--phone", "12").exit_code == 5


def test_the_tui_form_and_the_cli_follow_the_same_rule() -> None:
    base = ContactDraft(name="Imported", phones=(KEPT,))
    again = normalize_typed(ContactDraft(name="Imported", org="X", phones=(KEPT,)), "FR", base)
    assert again.phones == (KEPT,)
    with pytest.raises(InvalidInput):  # the same kept text is refused when nothing kept it
        normalize_typed(ContactDraft(name="New", phones=(KEPT,)), "FR")
    texts = form_texts(base) | {"phones": form_texts(base)["phones"] + "\n12"}
    with pytest.raises(FieldError):
        parse_form(texts, base, "FR")
