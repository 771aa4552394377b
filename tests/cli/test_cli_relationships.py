"""The command line for relationships, through click's runner.

The vault-level tests are in tests/vault/domain/test_relationships.py.
"""

from __future__ import annotations

from tests.cli_helpers import add, files, run_json
from tests.conftest import Kith


def test_shown_from_both_sides_with_inverse_labels(kith: Kith) -> None:
    ana, bob, coop = (add(kith, "--name", n) for n in ("Ana", "Bob", "Food Coop"))
    made = run_json(kith, "relate", bob, "recruited by", ana, "--note", "met at the picket")
    assert isinstance(made, dict) and made["new"] is True and made["kind"] == "recruited-by"
    assert made["subject"]["name"] == "Bob" and made["object"]["name"] == "Ana"
    run_json(kith, "relate", ana, "member-of", coop)
    run_json(kith, "relate", coop, "manages", bob)  # stored as: Bob reports to Food Coop
    of_ana = run_json(kith, "relations", ana)
    assert isinstance(of_ana, list)
    assert [(r["label"], r["other"]["name"]) for r in of_ana] == [
        ("member of organization", "Food Coop"),
        ("recruited", "Bob"),
    ]
    of_bob = run_json(kith, "relations", bob)
    assert isinstance(of_bob, list)
    assert [(r["label"], r["other"]["name"], r["note"]) for r in of_bob] == [
        ("recruited by", "Ana", "met at the picket"),
        ("reports to", "Food Coop", ""),
    ]
    of_coop = run_json(kith, "relations", coop)
    assert isinstance(of_coop, list)
    assert sorted(r["label"] for r in of_coop) == ["has member", "manages"]
    human = kith("relations", bob)
    assert "recruited by" in human.stdout and "Ana" in human.stdout


def test_relating_twice_returns_the_same_record(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    first = run_json(kith, "relate", ana, "works with", bob)
    second = run_json(kith, "relate", bob, "works-with", ana)  # symmetric: same fact
    assert isinstance(first, dict) and isinstance(second, dict)
    assert second["id"] == first["id"] and second["new"] is False
    assert len(run_json(kith, "relations", ana)) == 1  # type: ignore[arg-type]
    # Not symmetric: the reverse direction is a different fact.
    run_json(kith, "relate", ana, "reports-to", bob)
    other = run_json(kith, "relate", bob, "reports-to", ana)
    assert isinstance(other, dict) and other["new"] is True


def test_unrelate_keeps_both_contacts(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    rel = kith("relate", ana, "lives-with", bob)
    assert rel.exit_code == 0 and len(rel.stdout.strip()) == 12
    gone = run_json(kith, "unrelate", rel.stdout.strip())
    assert isinstance(gone, dict) and gone["deleted"] is True
    assert run_json(kith, "relations", ana) == [] and run_json(kith, "relations", bob) == []
    assert kith("show", ana).exit_code == 0 and kith("show", bob).exit_code == 0
    assert kith("unrelate", rel.stdout.strip()).exit_code == 4


def test_invalid_input_changes_nothing(kith: Kith) -> None:
    ana, bob = add(kith, "--name", "Ana"), add(kith, "--name", "Bob")
    before = files(kith.vault_dir)
    unknown_kind = kith("relate", ana, "married-to", bob)
    assert unknown_kind.exit_code == 5 and unknown_kind.stderr.startswith(
        "kith: Unknown relationship"
    )
    assert kith("relate", ana, "works-with", "ffffffffffff").exit_code == 4
    assert kith("relate", "ffffffffffff", "works-with", bob).exit_code == 4
    assert kith("relate", ana, "works-with", "zz").exit_code == 5
    assert kith("relate", ana, "works-with", ana).exit_code == 5
    assert kith("relate", ana, "works-with", bob, "--note", "x" * 5000).exit_code == 5
    assert kith("relations", "ffffffffffff").exit_code == 4
    assert kith("unrelate", "ffffffffffff").exit_code == 4
    assert kith("unrelate", ana).exit_code == 4  # a contact id is not a relationship id
    assert kith("relate", ana, "works-with").exit_code == 2
    assert files(kith.vault_dir) == before
