"""DESIGN §1 rules that import-linter cannot express, checked on the source tree.

- Only ``vault/crypto/`` imports nacl, cryptography, argon2, pyrage.
- Only ``vault/core/store.py`` imports sqlcipher3.
- Only ``tui/`` imports textual, rich, click.
- ``vault`` and ``sync`` never print, prompt or exit.
- Each package has one ``errors.py`` whose classes all have a docstring and an exit code.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from tests.conftest import ROOT

CRYPTO_LIBS = {"nacl", "cryptography", "argon2", "pyrage"}
UI_LIBS = {"textual", "rich", "click"}


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", ["vault", "sync", "geo", "tui", "relay", "intake"])
def test_third_party_libraries_stay_in_their_module(package: str) -> None:
    for path in modules(package):
        rel = path.relative_to(ROOT).as_posix()
        roots = imported_roots(path)
        if not rel.startswith("vault/crypto/"):
            assert not roots & CRYPTO_LIBS, rel
        if rel != "vault/core/store.py":
            assert "sqlcipher3" not in roots, rel
        if package != "tui":
            assert not roots & UI_LIBS, rel


@pytest.mark.parametrize("package", ["vault", "sync", "geo", "relay", "intake"])
def test_core_packages_never_print_prompt_or_exit(package: str) -> None:
    for path in modules(package):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                owner = getattr(getattr(func, "value", None), "id", "")
                assert name not in {"print", "input", "getpass"}, f"{path}:{node.lineno}"
                assert not (owner == "sys" and name == "exit"), f"{path}:{node.lineno}"


@pytest.mark.parametrize("package", ["vault", "sync", "tui"])
def test_every_error_has_a_message_and_an_exit_code(package: str) -> None:
    errors = importlib.import_module(f"{package}.errors")
    from vault.errors import KithError

    classes = [
        c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, KithError)
    ]
    assert classes
    for cls in classes:
        assert cls.__doc__ and cls.__doc__.strip().endswith("."), cls
        assert cls.exit_code in {1, 2, 3, 4, 5, 6}, cls
        assert "\n" not in cls().message


@pytest.mark.parametrize("package", ["vault", "sync"])
def test_the_error_tree_drawn_in_the_docstring_is_complete(package: str) -> None:
    """Each package's errors.py draws its tree (as httpx does); every class must be in the
    drawing exactly once, with its exit code."""
    from vault.errors import KithError

    errors = importlib.import_module(f"{package}.errors")
    drawing = errors.__doc__ or ""
    for name, cls in inspect.getmembers(errors, inspect.isclass):
        if issubclass(cls, KithError) and cls.__module__ == f"{package}.errors":
            assert drawing.count(f"{name} ({cls.exit_code})") == 1, name
    drawn = re.findall(r"-- (\w+) \(\d\)", drawing)
    assert len(drawn) == len(set(drawn)), "a class is drawn twice"
