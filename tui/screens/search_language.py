"""The filter box speaks the CLI's search language (`kith search`), and names saved searches.

    plain words            search-as-you-type in the in-memory index, as before
    tag:press -contacted:90d allows:email:events ...
                           the saved-search language (vault/domain/filters.py), evaluated by the
                           vault's activity index: the same call as `kith search`
    saved:NAME             the saved search NAME (`kith search QUERY --save NAME`), as
                           `kith list --saved NAME`

Rules and reasons:
- Nothing here decides what matches: plain text goes to `SearchIndex.search`, everything else
  to `vault.saved_searches.evaluate` (`vault.domain.filters.parse` says which), so the TUI and the
  CLI can never disagree about who a filter names.
- Evaluation may build the activity index (one decryption pass over the vault), so it runs in
  a worker thread; a malformed query is refused by the vault's parser with its one-line error,
  which names the term's position but never its text.
- No Textual here: tested directly.
"""

from __future__ import annotations

from vault.api import Vault
from vault.domain.filters import parse

__all__ = ["SAVED", "expand", "is_structured", "matching_ids"]

SAVED = "saved:"


def expand(vault: Vault, query: str) -> str:
    """The query text to evaluate: `saved:NAME` becomes that saved search's query."""
    if query.startswith(SAVED):
        return vault.saved_searches.get(query[len(SAVED) :].strip()).query
    return query


def is_structured(query: str) -> bool:
    """True if `query` needs the search language (anything but positive free text, or a
    malformed query, whose error the evaluation reports)."""
    if not query:
        return False
    if query.startswith(SAVED):
        return True
    try:
        return not parse(query).is_plain_text
    except Exception:
        return True


def matching_ids(vault: Vault, query: str) -> frozenset[str]:
    """Full ids of the contacts `query` names (a worker thread calls this). Raises the vault's
    `BadFilter` or `NotFound` (no saved search of that name)."""
    return frozenset(vault.saved_searches.evaluate(parse(expand(vault, query))))
