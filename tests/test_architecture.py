"""The layout shows the architecture (issue 15), checked on the source tree.

- No import circles anywhere, type-only imports included: a circle means two modules are one
  module in disguise, and a newcomer cannot read either alone.
- ``vault.__all__`` is the public face: every name in it resolves, and every name an upper
  package takes with ``from vault import ...`` is in it (as httpx's test_exported_members).
- No source module passes 500 lines: split along a seam before it does (STYLE.md).
- Every test the docs name exists: the threat model promises each guarantee "names the test that
  pins it", which is worth nothing once a test is renamed or moved away under it.
"""

from __future__ import annotations

import ast
import importlib
import re

import grimp
import pytest

from tests.conftest import ROOT

PACKAGES = ("vault", "sync", "outreach", "geo", "tui", "relay", "intake")
MAX_LINES = 500


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_no_import_circles_type_only_ones_included() -> None:
    graph = grimp.build_graph(*PACKAGES, include_external_packages=False)
    edges = {m: set(graph.find_modules_directly_imported_by(m)) for m in graph.modules}
    assert strongly_connected(edges) == []


def test_the_circle_finder_finds_a_circle() -> None:
    assert strongly_connected({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [
        ["a", "b", "c"]
    ]


def test_every_name_in_vault_all_resolves() -> None:
    vault = importlib.import_module("vault")
    assert vault.__all__ == sorted(vault.__all__)
    for name in vault.__all__:
        assert getattr(vault, name) is not None, name
    with pytest.raises(AttributeError):
        vault.NoSuchName  # noqa: B018


@pytest.mark.parametrize("package", ["sync", "outreach", "tui", "bench", "relay", "intake"])
def test_upper_packages_take_only_public_names_from_vault(package: str) -> None:
    vault = importlib.import_module("vault")
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "vault" and node.level == 0:
                for alias in node.names:
                    assert alias.name in vault.__all__, f"{path}: {alias.name}"


def test_no_source_module_passes_500_lines() -> None:
    too_long = {
        path.relative_to(ROOT).as_posix(): n
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert too_long == {}


TEST_REFERENCE = re.compile(r"tests/[A-Za-z0-9_/]+\.py(?:::[A-Za-z_][A-Za-z0-9_]*)?")


def test_every_test_the_docs_name_exists() -> None:
    docs = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    missing = []
    for doc in docs:
        for reference in sorted(set(TEST_REFERENCE.findall(doc.read_text()))):
            path, _, name = reference.partition("::")
            source = ROOT / path
            if not source.is_file():
                missing.append(f"{doc.name}: {reference}")
                continue
            if name and not re.search(
                rf"^\s*(?:async\s+)?(?:def|class)\s+{name}\b", source.read_text(), re.M
            ):
                missing.append(f"{doc.name}: {reference}")
    assert missing == []
