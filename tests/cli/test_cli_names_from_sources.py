"""The command line for names from sources, through click's runner.

The vault-level tests are in tests/vault/interchange/test_names_from_sources.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Kith


def _contacts(kith: Kith) -> dict[str, dict[str, Any]]:
    listed = json.loads(kith("list", "--json").stdout)
    return {c["name"]: c for c in listed}


def _import(kith: Kith, tmp_path: Path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    done = kith("import", str(path))
    assert done.exit_code == 0, done.stderr


def test_json_name_is_composed_from_the_parts(kith: Kith, tmp_path: Path) -> None:
    _import(kith, tmp_path, "outlook.csv", "First Name,Middle Name,Last Name,E-mail Address\r\n"
            "Daniel,R.,Kowalczyk,dk@example.org\r\n")  # fmt: skip
    google = "Name,Given Name,Family Name,E-mail 1 - Value\r\n,Ana,Lima,ana@example.org\r\n"
    _import(kith, tmp_path, "google.csv", google)
    found = _contacts(kith)
    assert found["Daniel R. Kowalczyk"]["given_name"] == "Daniel R."
    assert found["Ana Lima"]["family_name"] == "Lima"
    shown = json.loads(kith("show", found["Ana Lima"]["id"], "--json").stdout)
    assert shown["name"] == "Ana Lima"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("outlook.csv", "First Name,Last Name,Company,E-mail Address\r\n"
         ",,Harbour Mutual Aid,info@harbour.example\r\n"),
        ("google.csv", "Name,Given Name,Family Name,Organization 1 - Name,E-mail 1 - Value\r\n"
         ",,,Harbour Mutual Aid,info@harbour.example\r\n"),
        ("icloud.vcf", "BEGIN:VCARD\r\nVERSION:3.0\r\nN:;;;;\r\nFN:\r\n"
         "ORG:Harbour Mutual Aid;\r\nEMAIL;type=INTERNET:info@harbour.example\r\n"
         "X-ABShowAs:COMPANY\r\nEND:VCARD\r\n"),
        ("civicrm.csv", "Contact ID,Contact Type,Display Name,Organization Name,Email\r\n"
         "7,Organization,Harbour Mutual Aid,Harbour Mutual Aid,info@harbour.example\r\n"),
    ],
)  # fmt: skip
def test_an_organization_is_named_by_its_organization(
    kith: Kith, tmp_path: Path, name: str, text: str
) -> None:
    _import(kith, tmp_path, name, text)
    [contact] = json.loads(kith("list", "--json").stdout)
    assert contact["name"] == "Harbour Mutual Aid" and contact["org"] == "Harbour Mutual Aid"
    assert contact["given_name"] == contact["family_name"] == ""  # an organization is not split
    assert "Harbour Mutual Aid" in kith("list").stdout


def test_given_and_family_derived_on_add_edit_and_import(kith: Kith, tmp_path: Path) -> None:
    added = kith("add", "--name", "Yes Person").stdout.strip()
    shown = json.loads(kith("show", added, "--json").stdout)
    assert (shown["given_name"], shown["family_name"]) == ("Yes", "Person")
    explicit = kith("add", "--name", "Ma Lin", "--given-name", "Lin", "--family-name", "Ma")
    kept = json.loads(kith("show", explicit.stdout.strip(), "--json").stdout)
    assert (kept["given_name"], kept["family_name"]) == ("Lin", "Ma")  # never overridden
    edited = kith("edit", added, "--given-name", "", "--family-name", "", "--name", "Dr. Jo Kim")
    assert edited.exit_code == 0, edited.stderr
    again = json.loads(kith("show", added, "--json").stdout)
    assert (again["given_name"], again["family_name"]) == ("Jo", "Kim")
    _import(kith, tmp_path, "people.vcf", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Kowalczyk, Daniel\r\n"
            "EMAIL:d@example.org\r\nEND:VCARD\r\n")  # fmt: skip
    daniel = _contacts(kith)["Kowalczyk, Daniel"]
    assert (daniel["given_name"], daniel["family_name"]) == ("Daniel", "Kowalczyk")
