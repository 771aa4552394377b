"""The merge-field parser: strict, no format-string attacks, escapes for HTML and headers."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from outreach.template import compile_template
from vault.errors import InvalidInput


def test_fields_defaults_and_literal_braces() -> None:
    t = compile_template("Dear {given_name|friend}, {{see}} {field:Ward} in {city}.")
    assert t.fields == {"given_name", "field:Ward", "city"}
    assert t.render({"given_name": "Ana", "field:Ward": "3", "city": "Lyon"}) == (
        "Dear Ana, {see} 3 in Lyon.")
    assert t.render({}) == "Dear friend, {see}  in ."


@pytest.mark.parametrize("text", [
    "{0.__class__}", "{given_name.__class__}", "{given_name!r}", "{given_name:>10}",
    "{__globals__}", "{unknown}", "{}", "{ given_name }", "a { b", "a } b", "{{given_name}",
    "{given_name{city}}", "{field:}", "{given_name|x{y}",
])
def test_refused_at_compile_time(text: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        compile_template(text)
    assert "character" in caught.value.message


def test_values_are_never_interpreted() -> None:
    t = compile_template("{name}")
    assert t.render({"name": "{0.__class__} {city}"}) == "{0.__class__} {city}"


def test_html_escape_and_one_line() -> None:
    t = compile_template("<p>{name}</p>")
    assert t.render({"name": "<script>x</script>"}, escape=html.escape) == (
        "<p>&lt;script&gt;x&lt;/script&gt;</p>")
    assert compile_template("{name}").render({"name": "a\r\nBcc: x"}, one_line=True) == "a Bcc: x"


@given(st.text(alphabet=st.sampled_from("ab{}|:_ "), max_size=30))
def test_any_text_compiles_or_is_refused_cleanly(text: str) -> None:
    try:
        t = compile_template(text)
    except InvalidInput:
        return
    t.render({"given_name": "x"})
