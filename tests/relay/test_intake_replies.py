"""Automatic SMS replies are sent at most once, even when a run dies mid-send (issue 16).

A reply is marked ``sending`` (committed) before the gateway is called; the next run asks the
gateway about that id: there -> sent (not again), unknown -> sent once more, no answer ->
uncertain (never resent). STOP drops what was queued for that number.
"""

from __future__ import annotations

import pytest

from intake.forms import create, find, save
from intake.replies import on_keyword, send_replies, set_text
from vault.api import Vault

NUMBER = "+33611112222"


class Crash(Exception):
    """The process died while the gateway was being called."""


class Texter:
    def __init__(self, known: bool | None = None, crash: bool = False) -> None:
        self.known, self.crash = known, crash
        self.sent: list[tuple[str, str, str]] = []
        self.checked: list[str] = []

    def send(self, number: str, text: str, message_id: str) -> str:
        if self.crash:
            raise Crash
        self.sent.append((number, text, message_id))
        return "sent"

    def check(self, message_id: str) -> bool | None:
        self.checked.append(message_id)
        return self.known


def _queued(vault: Vault) -> None:
    form = create(vault, "Vote", title="", intro="", fields=("phone",), required=(),
                  consents=[], poll=("A",))
    set_text(form, "poll", "Thanks")
    assert on_keyword(form, "poll", NUMBER)
    save(vault, form)


@pytest.mark.parametrize(("known", "resent", "state"), [
    (True, 0, "sent"), (False, 1, "sent"), (None, 0, "uncertain")])
def test_a_reply_interrupted_mid_send_is_never_sent_twice(
    vault: Vault, known: bool | None, resent: int, state: str
) -> None:
    _queued(vault)
    with pytest.raises(Crash):
        send_replies(vault, Texter(crash=True))
    [item] = find(vault, "Vote").outgoing
    assert item["state"] == "sending"  # committed before the gateway was called
    texter = Texter(known=known)
    send_replies(vault, texter)
    assert texter.checked == [item["id"]] and len(texter.sent) == resent
    assert find(vault, "Vote").outgoing[0]["state"] == state
    later = Texter(known=known)
    send_replies(vault, later)
    assert later.sent == [] and later.checked == []  # settled for good


def test_stop_drops_what_was_queued_and_is_confirmed_once(vault: Vault) -> None:
    _queued(vault)
    form = find(vault, "Vote")
    set_text(form, "stop", "Unsubscribed")
    assert on_keyword(form, "stop", NUMBER)
    assert not on_keyword(form, "stop", NUMBER)  # a second STOP: no second confirmation
    assert not on_keyword(form, "poll", NUMBER)
    save(vault, form)
    texter = Texter()
    outcome = send_replies(vault, texter)
    assert [t[:2] for t in texter.sent] == [(NUMBER, "Unsubscribed")]
    assert (outcome.sent, outcome.dropped) == (1, 0)  # the poll reply was dropped at STOP
    assert [i["state"] for i in find(vault, "Vote").outgoing] == ["dropped", "sent"]


def test_a_stop_to_one_form_holds_for_the_replies_of_another(vault: Vault) -> None:
    _queued(vault)  # a poll reply queued on "Vote"
    other = create(vault, "Fair", title="", intro="", fields=("phone",), required=(),
                   consents=[])
    assert not on_keyword(other, "stop", NUMBER)  # no STOP text: nothing queued, but recorded
    save(vault, other)
    texter = Texter()
    outcome = send_replies(vault, texter)
    assert texter.sent == [] and outcome.dropped == 1
