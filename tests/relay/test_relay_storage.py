"""The relay's storage interface, the same tests over SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from relay.config import Limits
from relay.errors import Forbidden, QuotaFull
from relay.storage import SEQ_SPAN
from tests.relay.conftest import Backend

BOX = bytes(range(16))
TOKEN = b"\x01" * 32
OTHER = b"\x02" * 32
LIMITS = Limits(mailbox_items=5, mailbox_bytes=1000, ttl_seconds=100)
B = 1000 * SEQ_SPAN  # the first sequence number of a mailbox created at t=1000


def test_put_list_get_delete_in_order(backend: Backend) -> None:
    store = backend.open()
    try:
        seqs = [store.put(BOX, TOKEN, bytes([i]) * 10, 1000, LIMITS) for i in range(3)]
        one, two, three = seqs
        assert seqs == [B + 1, B + 2, B + 3]
        assert store.list(BOX, TOKEN, 0, 10, 1000) == [
            (one, 10, 1100), (two, 10, 1100), (three, 10, 1100)]
        assert [s for s, _, _ in store.list(BOX, TOKEN, one, 10, 1000)] == [two, three]
        assert [s for s, _, _ in store.list(BOX, TOKEN, 0, 2, 1000)] == [one, two]  # bounded
        assert store.get(BOX, TOKEN, two, 1000) == b"\x01" * 10
        assert store.delete(BOX, TOKEN, two) and not store.delete(BOX, TOKEN, two)
        assert store.get(BOX, TOKEN, two, 1000) is None
        assert store.list(b"\x09" * 16, TOKEN, 0, 10, 1000) == []  # unknown mailbox: empty
        store.put(BOX, TOKEN, b"Qmkscannerworks", 1000, LIMITS)
    finally:
        store.close()
    # the scanner the no-plaintext tests rely on does find what is stored, files included
    assert backend.holding(["Qmkscannerworks"]) == ["Qmkscannerworks"]
    assert backend.holding(["Qmkscannerworks"], pg_files=False) == ["Qmkscannerworks"]


def test_the_first_write_fixes_the_token(backend: Backend) -> None:
    store = backend.open()
    try:
        store.put(BOX, TOKEN, b"x", 1000, LIMITS)
        for attempt in (
            lambda: store.put(BOX, OTHER, b"y", 1000, LIMITS),
            lambda: store.list(BOX, OTHER, 0, 10, 1000),
            lambda: store.get(BOX, OTHER, 1, 1000),
            lambda: store.delete(BOX, OTHER, 1),
        ):
            with pytest.raises(Forbidden):
                attempt()
        assert [s for s, _, _ in store.list(BOX, TOKEN, 0, 10, 1000)] == [B + 1]
    finally:
        store.close()


def test_quota_of_items_and_bytes_and_deletes_free_it(backend: Backend) -> None:
    store = backend.open()
    try:
        for _ in range(5):
            store.put(BOX, TOKEN, b"x" * 10, 1000, LIMITS)
        with pytest.raises(QuotaFull):
            store.put(BOX, TOKEN, b"x", 1000, LIMITS)
        store.delete(BOX, TOKEN, B + 1)
        store.put(BOX, TOKEN, b"x", 1000, LIMITS)
        other = b"\x07" * 16
        with pytest.raises(QuotaFull):
            store.put(other, TOKEN, b"x" * 1001, 1000, LIMITS)
        assert store.list(other, TOKEN, 0, 10, 1000) == []  # refused writes leave nothing
    finally:
        store.close()


def test_the_number_of_mailboxes_is_bounded(backend: Backend) -> None:
    store = backend.open()
    limits = Limits(max_mailboxes=3, ttl_seconds=100)
    try:
        for i in range(3):
            store.put(bytes([i]) * 16, TOKEN, b"x", 1000, limits)
        with pytest.raises(QuotaFull):
            store.put(b"\x09" * 16, TOKEN, b"x", 1000, limits)
        store.put(b"\x00" * 16, TOKEN, b"y", 1000, limits)  # existing mailboxes still take writes
        assert store.list(b"\x09" * 16, TOKEN, 0, 10, 1000) == []  # the refused one was not made
    finally:
        store.close()


def test_concurrent_writers_never_overshoot_the_quota(backend: Backend) -> None:
    store = backend.open()
    limits = Limits(mailbox_items=20, ttl_seconds=100)
    outcomes: list[str] = []

    def writer() -> None:
        for _ in range(10):
            try:
                store.put(BOX, TOKEN, b"x", 1000, limits)
                outcomes.append("ok")
            except QuotaFull:
                outcomes.append("full")

    try:
        threads = [threading.Thread(target=writer) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert outcomes.count("ok") == 20 and outcomes.count("full") == 20
        assert [s for s, _, _ in store.list(BOX, TOKEN, 0, 100, 1000)] == list(
            range(B + 1, B + 21))
    finally:
        store.close()


def test_expired_items_are_hidden_then_deleted_and_quota_returns(backend: Backend) -> None:
    store = backend.open()
    try:
        for _ in range(5):
            store.put(BOX, TOKEN, b"old-item-bytes", 1000, LIMITS)
        assert store.list(BOX, TOKEN, 0, 10, 1100) == []  # expired at 1100: never returned
        assert store.get(BOX, TOKEN, B + 1, 1100) is None
        assert store.expire(1050, LIMITS.ttl_seconds) == 0
        assert store.expire(1100, LIMITS.ttl_seconds) == 5
        # the quota is free again; a forgotten, re-created mailbox never reuses a number
        assert store.put(BOX, TOKEN, b"new", 1100, LIMITS) > B + 5
        store.expire(1300, LIMITS.ttl_seconds)  # empty and idle for a TTL: forgotten
        store.put(BOX, OTHER, b"z", 1300, LIMITS)
        assert store.list(BOX, OTHER, 0, 10, 1300) == [(1300 * SEQ_SPAN + 1, 1, 1400)]
    finally:
        store.close()
    # SQLite overwrites deleted cells (secure_delete); PostgreSQL keeps dead tuples and WAL
    # until VACUUM and WAL recycling (docs/relay.md says so): there, the rows are gone.
    assert backend.holding(["old-item-bytes"], pg_files=False) == []


def test_forms_are_published_by_their_owner_only(backend: Backend) -> None:
    store = backend.open()
    try:
        store.put_form(b"f" * 16, TOKEN, BOX, None, b'{"title": "a"}', 1000)
        assert store.get_form(b"f" * 16) == (TOKEN, BOX, None, b'{"title": "a"}')
        store.put_form(b"f" * 16, TOKEN, BOX, OTHER, b'{"title": "b"}', 1000)
        assert store.get_form(b"f" * 16) == (TOKEN, BOX, OTHER, b'{"title": "b"}')
        with pytest.raises(Forbidden):
            store.put_form(b"f" * 16, OTHER, BOX, None, b"{}", 1000)
        with pytest.raises(Forbidden):  # nobody can point a new form at someone's mailbox
            store.put_form(b"g" * 16, OTHER, BOX, None, b"{}", 1000)
        assert store.get_form(b"h" * 16) is None
        store.expire(10**9, 1)
        assert store.get_form(b"f" * 16) is not None  # a form's mailbox is never forgotten
    finally:
        store.close()
