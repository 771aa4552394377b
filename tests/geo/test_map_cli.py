"""``kith map`` on a vault across five countries: exact counts, k at every resolution,
filters, no network, and nothing of any person in what it prints or writes."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from geo.cells import Grid
from geo.gazetteer import _zip_table, load
from geo.supporter_map import Selection, build, select
from tests.conftest import PASSPHRASE, Kith
from vault.api import Vault

UNPLACED = {"no address": 1, "no city or postcode": 1, "country not recognised": 1,
            "city not in the gazetteer": 1}


def run_map(kith: Kith, *args: str) -> dict[str, Any]:
    result = kith("map", *args, "--json")
    assert result.exit_code == 0, result.stderr
    found: dict[str, Any] = json.loads(result.stdout)
    return found


def counts(found: dict[str, Any]) -> dict[str, int]:
    return {c["label"]: c["count"] for c in found["cells"]}


def test_city_level_counts_are_exact_and_small_places_merge_or_hide(
    kith: Kith, supporters: dict[str, list[str]]
) -> None:
    found = run_map(kith, "--grid", "city")
    assert counts(found) == {"Lyon, FR": 6, "Lisbon, PT": 5, "New York City, US": 5}
    assert (found["selected"], found["placed"], found["hidden"], found["merged"]) == (
        27, 23, 7, 0)
    assert found["unplaced"] == UNPLACED
    three = run_map(kith, "--grid", "city", "--k", "3")
    assert counts(three) == {"Lyon, FR": 6, "Lisbon, PT": 5, "New York City, US": 5,
                             "Osaka, JP": 4, "rest of FR": 3}
    assert (three["hidden"], three["merged"]) == (0, 3)
    assert [c["merged"] for c in three["cells"]] == [False] * 4 + [True]


def test_the_threshold_holds_at_every_resolution(
    kith: Kith, supporters: dict[str, list[str]]
) -> None:
    with Vault.open(kith.vault_dir, PASSPHRASE) as vault:
        everyone = select(vault, Selection())
        for k in (5, 3, 2):
            for resolution in range(10):
                found = build(vault, everyone, load(), Grid.parse(f"h3:{resolution}"), k)
                shown = [c.count for c in found.aggregate.shown]
                assert all(n >= k for n in shown), (resolution, k, shown)
                assert sum(shown) + found.aggregate.hidden == found.placed == 23
                if k == 5 and resolution >= 3:  # cities apart: Lyon, Lisbon, New York alone
                    assert sorted(shown) == [5, 5, 6] and found.aggregate.hidden == 7
    assert sorted(counts(run_map(kith, "--grid", "h3:5")).values()) == [5, 5, 6]


def test_filters_reuse_the_vault_filter_language(
    kith: Kith, supporters: dict[str, list[str]]
) -> None:
    assert counts(run_map(kith, "--grid", "city", "--tag", "volunteer")) == {"Lyon, FR": 5}
    assert counts(run_map(kith, "--grid", "city", "--segment", "rhone")) == {"Lyon, FR": 6}
    assert counts(run_map(kith, "--grid", "city", "--saved", "lyon-volunteers")) == {
        "Lyon, FR": 5}
    assert counts(run_map(kith, "--grid", "city", "--where", "city:Lisboa")) == {
        "Lisbon, PT": 5}
    events = run_map(kith, "--grid", "city", "--accepts", "email:events")
    assert (events["selected"], events["cells"], events["hidden"]) == (3, [], 3)
    assert counts(run_map(kith, "--grid", "city", "--accepts", "email:events", "--k", "3")) == {
        "Lyon, FR": 3}
    both = run_map(kith, "--grid", "city", "--tag", "volunteer", "--accepts", "email:news")
    assert both["selected"] == 0  # ANDed: nobody allowed news
    assert kith("map", "--where", "city:").exit_code == 5
    assert kith("map", "--grid", "h3:12").exit_code == 5
    assert kith("map", "--k", "1").exit_code == 5
    assert kith("map", "--saved", "nope").exit_code == 4


def test_the_map_runs_with_the_network_blocked(
    kith: Kith, supporters: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network use")

    load.cache_clear()  # the gazetteer and the ZIP table load again, under the block
    _zip_table.cache_clear()
    monkeypatch.delitem(sys.modules, "zipcodes", raising=False)
    for name in ("socket", "create_connection", "getaddrinfo", "gethostbyname"):
        monkeypatch.setattr(socket, name, refuse)
    found = run_map(kith, "--grid", "city")
    assert found["placed"] == 23 and counts(found)["New York City, US"] == 5


def test_nothing_of_any_person_is_printed_or_written(
    kith: Kith, supporters: dict[str, list[str]], tmp_path: Path
) -> None:
    svg = tmp_path / "out" / "map.svg"
    svg.parent.mkdir()
    outputs = []
    for grid in ("city", "h3:2", "h3:7"):
        result = kith("map", "--grid", grid, "--k", "2", "--svg", str(svg))
        assert result.exit_code == 0, result.stderr
        outputs += [result.stdout, result.stderr, svg.read_text()]
        assert svg.stat().st_mode & 0o777 == 0o600
        svg.unlink()
    drawing = kith("map", "--grid", "city", "--svg", str(svg))
    assert "<svg" in svg.read_text() and ">6</text>" in svg.read_text()
    again = kith("map", "--svg", str(svg))
    assert again.exit_code == 5 and "exists" in again.stderr  # never over a file
    planted = tmp_path / "out" / "planted.svg"
    planted.symlink_to(tmp_path / "out" / "elsewhere.svg")
    assert kith("map", "--svg", str(planted)).exit_code == 5  # never through a symlink
    assert not (tmp_path / "out" / "elsewhere.svg").exists()
    outputs.append(drawing.stdout)
    legend = [line.split() for line in drawing.stdout.splitlines() if line.endswith(", FR")]
    assert legend == [["1", "6", "Lyon,", "FR"]] and "7 hidden" in drawing.stdout
    assert "1 not placed: country not recognised" in drawing.stdout
    written = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    markers = [m for group in supporters.values() for m in group] + ["69007", "Zqx", "ZQX"]
    for marker in markers:
        assert all(marker not in text for text in outputs), marker
        assert all(marker.encode() not in data for data in written), marker


def test_the_map_writes_nothing_to_the_vault(
    kith: Kith, supporters: dict[str, list[str]], tmp_path: Path
) -> None:
    vault_files = sorted(p for p in kith.vault_dir.rglob("*") if p.is_file())
    before = {p: p.read_bytes() for p in vault_files}
    for grid in ("city", "h3:4"):
        assert kith("map", "--grid", grid, "--svg", str(tmp_path / f"{grid}.svg")).exit_code == 0
    assert sorted(p for p in kith.vault_dir.rglob("*") if p.is_file()) == vault_files
    assert all(p.read_bytes() == data for p, data in before.items())  # no position stored
    text = (tmp_path / "city.svg").read_text()
    assert "hidden" not in text and "not placed" not in text  # the file that travels: cells
