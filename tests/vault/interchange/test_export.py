"""`kith export` (issue 3): consent, 0600, never overwrite, and the round trip through vaults.

The property test stores random contacts (non-Latin scripts, commas, quotes, semicolons,
backslashes, newlines) in one vault, exports them in each format, imports the file into a new
vault and expects the same contacts. Text is generated in the form the vault stores (stripped,
NFC); emails and phones are unique per contact so the importer's dedupe has nothing to merge.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import Kith
from vault.api import Vault
from vault.crypto.kdf import TEST_PARAMS
from vault.domain.model import Address, ContactDraft, Email, Phone
from vault.domain.validate import normalize_draft
from vault.errors import ExportExists, InvalidInput
from vault.interchange.exporter import export_contacts, render, select, write_plaintext
from vault.interchange.importer import ImportOptions, import_contacts

ALPHABET = "AaZz09 ,;:\\\"'=\n#*+-@éñøßЖжЯΩλ中文字عربي"
LABELS = ["", "home", "work", "cell", "Campaign office", "Сигнал"]


def _clean(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


words = st.text(st.sampled_from(ALPHABET), min_size=1, max_size=10).map(_clean)
optional = st.one_of(st.just(""), words)
keys = words.map(lambda s: s.replace("=", "").replace("\n", " ").strip()).filter(bool)


@st.composite
def contact(draw: st.DrawFn, i: int) -> ContactDraft:
    local = draw(st.text(st.sampled_from("abcxyz.-"), min_size=1, max_size=6))
    local = local.strip(".-").replace("..", ".") or "x"
    emails = tuple(
        Email(f"{local}{i}n{n}@example.org", draw(st.sampled_from(LABELS)))
        for n in range(draw(st.integers(0, 2)))
    )
    phones = tuple(
        Phone(f"+336{i:02d}{n}{draw(st.integers(10000, 99999))}", draw(st.sampled_from(LABELS)))
        for n in range(draw(st.integers(0, 2)))
    )
    if draw(st.booleans()):
        phones += (Phone("ask Ana", "", valid=False),)
    addresses = tuple(
        Address(
            draw(words),
            draw(optional),
            draw(optional),
            draw(optional),
            draw(optional),
            draw(st.sampled_from(LABELS)),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    fields = draw(st.dictionaries(keys, words, max_size=3))
    return ContactDraft(
        name=f"{draw(words)} {i}",
        given_name=draw(optional),
        family_name=draw(optional),
        emails=emails,
        phones=phones,
        addresses=addresses,
        org=draw(optional),
        role=draw(optional),
        languages=tuple(dict.fromkeys(draw(st.lists(words, max_size=2)))),
        notes=draw(optional),
        tags=tuple({t.casefold(): t for t in draw(st.lists(words, max_size=3))}.values()),
        fields=tuple(fields.items()),
    )


contact_lists = st.integers(1, 4).flatmap(lambda n: st.tuples(*(contact(i) for i in range(n))))


def new_vault(root: Path, name: str) -> Vault:
    return Vault.create(root / name, "pw", params=TEST_PARAMS, allow_weak=True, region="FR")


def stored(vault: Vault) -> list[ContactDraft]:
    return sorted((c.draft() for c in vault.contacts.all()), key=lambda d: d.name)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contact_lists)
def test_export_then_import_into_a_new_vault_gives_the_same_contacts(
    drafts: tuple[ContactDraft, ...],
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        source = new_vault(root, "source")
        try:
            for draft in drafts:
                source.contacts.add(normalize_draft(draft, "FR", strict=False))
            expected = stored(source)
            for fmt in ("vcard", "csv", "json"):
                path = root / f"export.{fmt}"
                assert export_contacts(source, path, fmt, plaintext_ok=True) == len(drafts)
                target = new_vault(root, f"target-{fmt}")
                try:
                    outcome = import_contacts(target, path.read_bytes(), ImportOptions())
                    assert not outcome.errors and not outcome.warnings
                    assert stored(target) == expected, fmt
                finally:
                    target.lock()
        finally:
            source.lock()


# -- the plaintext file ------------------------------------------------------------------------


@pytest.fixture
def filled(kith: Kith) -> Kith:
    kith("add", "--name", "Zoë", "--email", "zoe@example.org", "--tag", "Press")
    kith("add", "--name", 'Ana, "the" organizer', "--phone", "0612345678", "--tag", "tenants")
    kith("add", "--name", "Олена", "--tag", "TENANTS")
    return kith


@pytest.fixture
def zero_umask() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("fmt", ["vcard", "csv", "json"])
def test_export_writes_mode_0600_even_with_a_wide_umask(
    filled: Kith, tmp_path: Path, fmt: str, zero_umask: None
) -> None:
    out = tmp_path / f"contacts.{fmt}"
    result = filled("export", "--format", fmt, "--out", str(out), "--yes-plaintext")
    assert result.exit_code == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert result.stdout.startswith("exported 3 contact(s)")
    assert "is plaintext" in result.stderr and "shred -u" in result.stderr


def test_vcard_export_is_version_4_sorted_and_reproducible(filled: Kith, tmp_path: Path) -> None:
    one, two = tmp_path / "1.vcf", tmp_path / "2.vcf"
    filled("export", "--format", "vcard", "--out", str(one), "--yes-plaintext")
    filled("export", "--format", "vcard", "--out", str(two), "--yes-plaintext")
    text = one.read_text(encoding="utf-8")
    assert text.count("VERSION:4.0") == 3
    assert text.index("Ana") < text.index("Zoë") < text.index("Олена")
    assert one.read_bytes() == two.read_bytes()


def test_export_refuses_without_consent_off_a_terminal(filled: Kith, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    result = filled("export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "kith: This writes your contacts unencrypted: pass --yes-plaintext, or confirm on a "
        "terminal."
    )
    assert not out.exists()


def test_export_never_overwrites(filled: Kith, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    out.write_text("precious")
    result = filled("export", "--format", "csv", "--out", str(out), "--yes-plaintext")
    assert result.exit_code == ExportExists.exit_code
    assert "never overwrite" in result.stderr
    assert out.read_text() == "precious"
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "elsewhere.csv")
    result = filled("export", "--format", "csv", "--out", str(link), "--yes-plaintext")
    assert result.exit_code == ExportExists.exit_code
    assert not (tmp_path / "elsewhere.csv").exists()


def test_write_plaintext_refuses_symlinks_and_consentless_calls(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "target")
    with pytest.raises(ExportExists):
        write_plaintext(link, ["x"], plaintext_ok=True)
    with pytest.raises(InvalidInput):
        write_plaintext(tmp_path / "new", ["x"], plaintext_ok=False)
    assert not (tmp_path / "new").exists()
    assert not (tmp_path / "target").exists()


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    def chunks() -> Iterator[str]:
        yield "BEGIN:VCARD\r\n"
        raise OSError("disk full")

    out = tmp_path / "c.vcf"
    with pytest.raises(OSError, match="disk full"):
        write_plaintext(out, chunks(), plaintext_ok=True)
    assert not out.exists()


def test_export_by_tag_any_case_and_accent(filled: Kith, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    result = filled("export", "--format", "json", "--out", str(out), "--tag", "tenants",
                    "--yes-plaintext", "--json")  # fmt: skip
    assert json.loads(result.stdout) == {"format": "json", "path": str(out), "count": 2,
                                         "mode": "0600"}  # fmt: skip
    names = [c["name"] for c in json.loads(out.read_text(encoding="utf-8"))]
    assert names == ['Ana, "the" organizer', "Олена"]


def test_export_to_stdout(filled: Kith) -> None:
    result = filled("export", "--format", "csv", "--out", "-", "--yes-plaintext")
    assert result.exit_code == 0
    assert result.stdout.startswith("name,given_name,family_name,emails")
    assert '"Ana, ""the"" organizer"' in result.stdout
    assert filled("export", "--format", "csv", "--out", "-", "--json").exit_code == 2


def test_select_and_render_without_the_cli(vault: Vault) -> None:
    vault.contacts.add(ContactDraft(name="B", tags=("x",)))
    vault.contacts.add(ContactDraft(name="a", tags=("y",)))
    assert [c.name for c in select(vault)] == ["a", "B"]
    assert [c.name for c in select(vault, ["X"])] == ["B"]
    with pytest.raises(InvalidInput):
        render("xlsx", [])


@pytest.mark.parametrize("fmt", ["vcard", "csv", "json"])
def test_importing_an_export_back_changes_nothing(filled: Kith, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"all.{fmt}"
    assert filled("export", "--format", fmt, "--out", str(out), "--yes-plaintext").exit_code == 0
    result = filled("import", str(out), "--json")
    assert result.exit_code == 0, result.stderr
    counts = json.loads(result.stdout)["counts"]
    assert (counts["added"], counts["merged"], counts["unchanged"]) == (0, 0, 3)
