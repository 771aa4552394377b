"""Hybrid logical clock: the send and receive rules, the counter spill, the skew bound."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sync.errors import ClockSkew
from sync.hlc import MAX_COUNTER, MAX_SKEW_MS, Hlc, HybridClock, check_skew

T = 1_750_000_000_000


def test_tick_follows_physical_time_and_restarts_the_counter() -> None:
    clock = HybridClock()
    assert clock.tick(T) == Hlc(T, 0)
    assert clock.tick(T) == Hlc(T, 1)
    assert clock.tick(T + 5) == Hlc(T + 5, 0)


def test_tick_never_goes_backwards_when_the_os_clock_does() -> None:
    clock = HybridClock()
    clock.tick(T)
    assert clock.tick(T - 60_000) == Hlc(T, 1)


def test_observe_orders_after_a_remote_clock_ahead_of_ours() -> None:
    clock = HybridClock()
    clock.tick(T)
    seen = clock.observe(Hlc(T + 1000, 7), T)
    assert seen == Hlc(T + 1000, 8)
    assert clock.tick(T + 10) > Hlc(T + 1000, 7)


def test_observe_with_equal_walls_takes_the_larger_counter() -> None:
    clock = HybridClock(Hlc(T, 3))
    assert clock.observe(Hlc(T, 9), T) == Hlc(T, 10)
    clock = HybridClock(Hlc(T, 9))
    assert clock.observe(Hlc(T, 3), T) == Hlc(T, 10)


def test_observe_of_an_old_clock_when_physical_time_moved_on() -> None:
    clock = HybridClock(Hlc(T, 4))
    assert clock.observe(Hlc(T - 5, 2), T + 50) == Hlc(T + 50, 0)


def test_counter_overflow_spills_into_the_next_millisecond() -> None:
    clock = HybridClock(Hlc(T, MAX_COUNTER))
    assert clock.tick(T) == Hlc(T + 1, 0)
    clock = HybridClock(Hlc(T, 1))
    assert clock.observe(Hlc(T, MAX_COUNTER), T) == Hlc(T + 1, 0)


def test_out_of_range_timestamps_are_refused() -> None:
    with pytest.raises(ValueError):
        Hlc(1 << 48, 0)
    with pytest.raises(ValueError):
        Hlc(0, 1 << 16)


def test_skew_bound_is_ten_minutes_ahead_and_nothing_behind() -> None:
    check_skew(Hlc(T + MAX_SKEW_MS, MAX_COUNTER), T)
    check_skew(Hlc(0, 0), T)  # a week-old offline edit is fine
    with pytest.raises(ClockSkew) as caught:
        check_skew(Hlc(T + MAX_SKEW_MS + 1, 0), T)
    assert caught.value.retryable
    assert MAX_SKEW_MS == 600_000


events = st.lists(
    st.tuples(
        st.booleans(),
        st.integers(0, 10_000),
        st.integers(0, 10_000),
        st.integers(0, MAX_COUNTER),
    ),
    max_size=60,
)


@given(events)
def test_every_event_is_strictly_later_than_the_one_before(
    steps: list[tuple[bool, int, int, int]],
) -> None:
    clock = HybridClock()
    last = clock.last
    for is_send, now, remote_wall, remote_counter in steps:
        remote = Hlc(T + remote_wall, remote_counter)
        stamp = clock.tick(T + now) if is_send else clock.observe(remote, T + now)
        assert stamp > last
        if not is_send:
            assert stamp > remote
        assert stamp.wall_ms >= T + now
        last = stamp
