"""Reading one vCard with N repeated properties is linear in N (issue 14, item 6).

Compares, in the same run: N ``URL:`` lines (one key repeated, numbered ``url``, ``url 2``...)
against N distinct ``X-`` properties (no numbering at all), for N and 4N. Linear reading gives
a repeated/distinct ratio near 1 at both sizes, and a 4N/N ratio near 4; the old numbering
(quadratic) gave 16,000 ``URL:`` lines in 16 s. Past 200 custom fields the reader stops
collecting (the card is then refused), so both shapes do the same work per line.

    .venv/bin/python -m bench.bench_vcard_repeats [--lines 16000]
"""

from __future__ import annotations

import argparse

from bench.common import table, timed
from vault.interchange.vcard import read_vcards


def _card(lines: list[str]) -> str:
    return "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Many\r\n" + "".join(lines) + "END:VCARD\r\n"


def _best(text: str, runs: int = 3) -> float:
    return min(timed(lambda: list(read_vcards(text))) for _ in range(runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=16_000)
    n = parser.parse_args().lines
    results = {}
    for size in (n, 4 * n):
        repeated = _best(_card(["URL:https://example.org\r\n"] * size))
        distinct = _best(_card([f"X-F{i}:https://example.org\r\n" for i in range(size)]))
        results[size] = (repeated, distinct)
    (r1, d1), (r4, d4) = results[n], results[4 * n]
    print(table([
        (f"{n} URL lines", f"{r1:.3f} s"), (f"{n} distinct X- lines", f"{d1:.3f} s"),
        (f"{4 * n} URL lines", f"{r4:.3f} s"), (f"{4 * n} distinct X- lines", f"{d4:.3f} s"),
        ("repeated / distinct (N)", f"{r1 / d1:.2f}"),
        ("repeated / distinct (4N)", f"{r4 / d4:.2f}"),
        ("4N / N (repeated)", f"{r4 / r1:.2f}"),
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
