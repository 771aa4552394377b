"""``python -m bench`` runs every benchmark in turn (each is also runnable alone)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

here = Path(__file__).parent
for info in sorted(pkgutil.iter_modules([str(here)]), key=lambda m: m.name):
    if info.name.startswith("bench_"):
        print(f"\n== {info.name} ==", flush=True)
        module = importlib.import_module(f"bench.{info.name}")
        sys.argv = [info.name]
        module.main()
