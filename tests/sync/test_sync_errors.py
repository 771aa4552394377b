"""sync/errors.py: one tree under KithError; docstrings are user messages; exit codes."""

from __future__ import annotations

import inspect

import sync.errors as errors
from vault.errors import IntegrityError, InvalidInput, KithError, NotFound


def classes() -> list[type[KithError]]:
    return [
        c
        for _, c in inspect.getmembers(errors, inspect.isclass)
        if issubclass(c, KithError) and c.__module__ == "sync.errors"
    ]


def test_every_error_has_a_one_line_message_an_exit_code_and_a_retry_flag() -> None:
    found = classes()
    assert len(found) >= 15
    for cls in found:
        assert cls.__doc__ and cls.__doc__.strip().endswith("."), cls
        assert "\n" not in cls().message, cls
        assert isinstance(cls.__dict__.get("retryable"), bool), cls
        if issubclass(cls, IntegrityError):
            assert cls.exit_code == 6, cls
        elif issubclass(cls, NotFound):  # phase 2: UnknownPeer
            assert cls.exit_code == 4, cls
        elif cls in (errors.SessionFailed, errors.RelayUnreachable, errors.RelayFull):
            assert cls.exit_code == 1, cls  # a broken session or a busy relay: "other error", retry
        else:
            assert issubclass(cls, InvalidInput) and cls.exit_code == 5, cls


def test_only_not_yet_errors_are_retryable() -> None:
    retryable = {c.__name__ for c in classes() if c.retryable}
    assert retryable == {
        "ClockSkew",
        "NotAMember",
        "KeyUnavailable",
        "SessionFailed",
        "RelayUnreachable",
        "RelayFull",
    }


def test_the_pipeline_rejection_union_names_real_classes() -> None:
    assert set(errors.SyncRejection.__args__) <= set(classes())  # type: ignore[attr-defined]


def test_every_exit_code_is_in_the_0_to_6_contract() -> None:
    """README: 0 ok, 1 other, 2 usage, 3 cannot unlock, 4 not found, 5 invalid, 6 integrity."""
    assert {c.exit_code for c in classes()} <= set(range(7))
