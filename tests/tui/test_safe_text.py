"""safe_text: nothing a contact contains can control the terminal or be read as markup."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.safe_text import ELLIPSIS, is_safe_char, plain, safe

BIDI_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
KEPT_FORMAT = "\u200c\u200d"  # ZWNJ, ZWJ

# Any code point, including lone surrogates, controls and unassigned ones.
any_text = st.text(st.characters(exclude_categories=()), max_size=200)
# Text biased towards the characters the sanitizer must handle.
nasty_text = st.lists(
    st.one_of(
        st.characters(exclude_categories=()),
        st.sampled_from(
            list("\x1b\x07\x00\x7f\x9b\x85\t\n\r\u2028\u2029\ufeff\u00ad" + BIDI_CONTROLS)
        ),
        st.sampled_from(["\x1b]0;owned\x07", "\x1b[2J", "[bold red]", "[@click=app.quit]"]),
    ),
    max_size=60,
).map("".join)


def is_forbidden(ch: str) -> bool:
    category = unicodedata.category(ch)
    if category in ("Cc", "Cs", "Zl", "Zp"):
        return True
    return category == "Cf" and ch not in KEPT_FORMAT


# -- examples -----------------------------------------------------------------------------------


def test_ordinary_names_pass_unchanged() -> None:
    for name in (
        "Ada Lovelace",
        "Lucía Ibarra",
        "山田太郎",
        "Jovanović",
        "👩\u200d👩\u200d👧 Family",
    ):
        assert safe(name) == name


def test_markup_is_kept_as_text() -> None:
    assert safe("[bold red]x") == "[bold red]x"
    assert safe("[@click=app.quit]hi[/]") == "[@click=app.quit]hi[/]"


def test_osc_title_sequence_loses_its_escape_and_bell() -> None:
    assert safe("\x1b]0;owned\x07") == "]0;owned"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\x1b[2Jb", "a[2Jb"),  # CSI
        ("a\x9b31mb", "a31mb"),  # 8-bit CSI (C1)
        ("a\x00\x01\x7fb", "ab"),  # NUL, C0, DEL
        ("a\u202eb\u202c", "ab"),  # RLO, PDF
        ("a\u2066b\u2069", "ab"),  # LRI, PDI
        ("a\u200eb\u200f", "ab"),  # LRM, RLM
        ("a\ufeffb\u00ad", "ab"),  # BOM, soft hyphen: invisible format characters
        ("a\ud800b", "ab"),  # a lone surrogate would crash the UTF-8 writer
        ("a\nb\rc\td", "a b c d"),
        ("a\r\nb", "a  b"),
        ("a\u2028b\u2029c\x85d", "a b c d"),
        ("a\u00a0b", "a\u00a0b"),  # no-break space is a space, kept
        ("\ue000", "\ue000"),  # private use is inert, kept
    ],
)
def test_examples(raw: str, clean: str) -> None:
    assert safe(raw) == clean


def test_max_len_cuts_with_an_ellipsis() -> None:
    assert safe("abcdef", max_len=6) == "abcdef"
    assert safe("abcdefg", max_len=6) == "abcde" + ELLIPSIS
    assert safe("\x1b" * 1000 + "abc", max_len=3) == "abc"  # dropped characters do not count
    assert safe("abc", max_len=0) == ""
    assert safe("abc", max_len=1) == ELLIPSIS


def test_max_len_reads_only_a_prefix_of_a_huge_string() -> None:
    huge = "x" * 5_000_000 + "\x1b"
    assert safe(huge, max_len=10) == "x" * 9 + ELLIPSIS


def test_plain_never_parses_markup() -> None:
    text = plain("[bold red]x\x1b]0;owned\x07", style="italic")
    assert text.plain == "[bold red]x]0;owned"
    assert text.spans == []
    assert str(text.style) == "italic"


# -- properties ---------------------------------------------------------------------------------


@given(nasty_text)
def test_output_has_no_control_bidi_or_format_character(text: str) -> None:
    out = safe(text)
    assert not [ch for ch in out if is_forbidden(ch)]
    assert all(is_safe_char(ch) for ch in out)


@given(any_text)
def test_output_is_encodable_and_single_line(text: str) -> None:
    out = safe(text)
    out.encode("utf-8")  # no lone surrogates
    assert out.splitlines() in ([], [out])


@given(nasty_text)
def test_idempotent(text: str) -> None:
    assert safe(safe(text)) == safe(text)


@given(any_text, any_text)
def test_works_character_by_character(a: str, b: str) -> None:
    assert safe(a + b) == safe(a) + safe(b)


@given(any_text)
def test_printable_text_is_untouched(text: str) -> None:
    if text.isprintable():
        assert safe(text) == text


@given(nasty_text, st.integers(min_value=0, max_value=120))
def test_max_len_is_a_cut_of_the_full_result(text: str, max_len: int) -> None:
    full = safe(text)
    cut = safe(text, max_len=max_len)
    assert len(cut) <= max_len
    if len(full) <= max_len:
        assert cut == full
    elif max_len == 0:
        assert cut == ""
    else:
        assert cut == full[: max_len - 1] + ELLIPSIS


@given(nasty_text)
def test_plain_text_equals_safe_text(text: str) -> None:
    rendered = plain(text)
    assert rendered.plain == safe(text)
    assert rendered.spans == []
