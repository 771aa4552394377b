"""Fixtures for the TUI tests."""

from __future__ import annotations

import pytest

from tests.tui.fakes import make_rows
from tui.widgets.contact_list import ContactRow


@pytest.fixture(scope="session")
def rows_100k() -> list[ContactRow]:
    """100,000 invented contacts, built once per session."""
    return make_rows(100_000)
