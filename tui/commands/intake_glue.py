"""What ``kith intake pull`` hands on to outreach: poll answers, and introduction YESes.

``intake`` and ``outreach`` are independent packages (``tui -> (outreach | intake) -> vault``);
the CLI joins them here, inside the pull's own transaction (``intake.pull.pull(within=...)``),
so an item is acknowledged on the relay only once everything it led to is committed.
"""

from __future__ import annotations

from collections.abc import Callable

from intake.apply import Outcome
from intake.forms import Form
from outreach.polls import record_answers
from vault import Vault


def after_pull(vault: Vault, form: Form) -> Callable[[Outcome], None]:
    """The ``within`` hook of one pull of ``form``."""

    def within(outcome: Outcome) -> None:
        if outcome.poll_answers:
            record_answers(vault, [(a.sender, a.word, a.at) for a in outcome.poll_answers])

    return within
