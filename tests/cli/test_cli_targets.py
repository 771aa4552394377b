"""The command line for targets, through click's runner.

The vault-level tests are in tests/vault/domain/test_targets.py.
"""

from __future__ import annotations

from tests.cli_helpers import add, files, run_json
from tests.conftest import Kith


def test_set_show_list_clear(kith: Kith) -> None:
    mayor = add(kith, "--name", "Mayor Chen", "--role", "Mayor")
    boss = add(kith, "--name", "Dana Reyes", "--org", "Acme Housing")
    made = run_json(
        kith,
        "target",
        "set",
        mayor,
        "--institution",
        "City council",
        "--stance",
        "4",
        "--note",
        "swing vote on rent control",
    )
    assert made == {
        "contact": {"id": made["contact"]["id"], "name": "Mayor Chen"},  # type: ignore[index]
        "institution": "City council",
        "stance": 4,
        "stance_label": "opponent",
        "role": "Mayor",
        "notes": "swing vote on rent control",
        "updated": made["updated"],  # type: ignore[index]
    }
    run_json(
        kith,
        "target",
        "set",
        boss,
        "--institution",
        "Acme Housing",
        "--stance",
        "5",
        "--role",
        "CEO",
    )
    changed = run_json(kith, "target", "set", mayor, "--stance", "3")
    assert isinstance(changed, dict)
    assert changed["stance"] == 3 and changed["institution"] == "City council"
    assert changed["notes"] == "swing vote on rent control"
    listed = run_json(kith, "target", "list")
    assert isinstance(listed, list)
    assert [(t["contact"]["name"], t["stance"], t["role"]) for t in listed] == [
        ("Mayor Chen", 3, "Mayor"),
        ("Dana Reyes", 5, "CEO"),
    ]
    only = run_json(kith, "target", "list", "--stance", "5")
    assert [t["contact"]["name"] for t in only] == ["Dana Reyes"]  # type: ignore[union-attr]
    human = kith("target", "show", mayor)
    assert "City council" in human.stdout and "3 (undecided)" in human.stdout
    cleared = run_json(kith, "target", "clear", mayor)
    assert isinstance(cleared, dict) and cleared["cleared"] is True
    assert kith("target", "show", mayor).exit_code == 4
    assert kith("show", mayor).exit_code == 0  # the contact stays
    assert len(run_json(kith, "target", "list")) == 1  # type: ignore[arg-type]


def test_invalid_input_changes_nothing(kith: Kith) -> None:
    mayor = add(kith, "--name", "Mayor Chen")
    run_json(kith, "target", "set", mayor, "--institution", "Council", "--stance", "2")
    before = files(kith.vault_dir)
    for bad in ("0", "6", "abc"):
        result = kith("target", "set", mayor, "--stance", bad)
        assert result.exit_code == 5
        assert result.stderr == (
            "kith: A stance is a whole number from 1 (strong supporter) to 5 (strong opponent).\n"
        )
    assert kith("target", "set", mayor, "--institution", "  ").exit_code == 5
    assert (
        kith("target", "set", "ffffffffffff", "--institution", "X", "--stance", "1").exit_code == 4
    )
    assert kith("target", "set", "xyz", "--institution", "X", "--stance", "1").exit_code == 5
    assert kith("target", "show", "ffffffffffff").exit_code == 4
    assert kith("target", "clear", "ffffffffffff").exit_code == 4
    assert kith("target", "list", "--stance", "9").exit_code == 5
    assert files(kith.vault_dir) == before
    assert run_json(kith, "target", "show", mayor)["stance"] == 2  # type: ignore[index]


def test_a_new_target_needs_institution_and_stance(kith: Kith) -> None:
    ana = add(kith, "--name", "Ana")
    before = files(kith.vault_dir)
    assert kith("target", "set", ana, "--stance", "1").exit_code == 5
    assert kith("target", "set", ana, "--institution", "Council").exit_code == 5
    assert kith("target", "show", ana).exit_code == 4
    assert files(kith.vault_dir) == before
