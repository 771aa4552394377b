"""Issue 14, items 8 and 9: names as real exporters' files carry them.

- ``--json`` gives the display name in ``name``, composed from the parts when the source has
  no full name (Outlook and Google CSV), and an organization-only row (Outlook, Google, an
  iCloud card with an empty FN, a CiviCRM Organization) is named by its organization, with the
  organization in ``org``, never by its email.
- Given and family names are derived from a full name when both are absent, on add, edit and
  import; parts a person or a file gave are never touched.
"""

from __future__ import annotations

import pytest

from vault.domain.names import split_full_name


@pytest.mark.parametrize(
    ("full", "parts"),
    [("Yes Person", ("Yes", "Person")), ("Madonna", ("Madonna", "")),
     ("Dr. Daniel R. Kowalczyk", ("Daniel", "Kowalczyk")), ("Lima, Ana", ("Ana", "Lima")),
     ("Ludwig van Beethoven", ("Ludwig", "van Beethoven")),
     ("Ada Lovelace Jr.", ("Ada", "Lovelace")), ("  ", ("", ""))],
)  # fmt: skip
def test_split_full_name(full: str, parts: tuple[str, str]) -> None:
    assert split_full_name(full) == parts
