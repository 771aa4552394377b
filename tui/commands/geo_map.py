"""``kith map`` (issue 17): where supporters are, as k-anonymous counts, offline.

    kith map [--grid city|h3:R] [--k 5] [--segment S]... [--tag T]... [--saved NAME]...
             [--accepts CHANNEL[:KIND]]... [--where QUERY] [--svg FILE]
             [--min-population 15000|5000|1000|500] [--json]

Nothing is stored: contacts are placed in memory from the packaged gazetteer, counted per
cell, and any cell under k is merged into a wider one or hidden (``geo/cells.py``). Output is
the terminal drawing (or ``--json``) and, with ``--svg``, a new SVG file of counts per cell.
"""

from __future__ import annotations

from pathlib import Path

import click

from geo.cells import DEFAULT_K, Grid
from geo.gazetteer import POPULATIONS, load
from geo.render import text_map, write_svg
from geo.supporter_map import Selection, build, select
from tui.context import KithContext, pass_kith
from tui.output import emit_json
from tui.safe_text import safe


@click.command(name="map")
@click.option("--grid", default="h3:3", show_default=True,
              help="Cells: city, or h3:R with R from 0 (continents) to 9 (blocks).")
@click.option("--k", "k", type=int, default=DEFAULT_K, show_default=True,
              help="Smallest count a cell may show; smaller cells merge upward or hide.")
@click.option("--segment", "segments", multiple=True, help="Only this segment (repeatable).")
@click.option("--tag", "tags", multiple=True, help="Only contacts with this tag (repeatable).")
@click.option("--saved", "saved", multiple=True, help="Only this saved search's matches.")
@click.option("--accepts", "accepts", multiple=True,
              help="Only people whose consent allows CHANNEL[:KIND] (e.g. email:events).")
@click.option("--where", default="", help="Any saved-search query (docs/organizing-guide.md).")
@click.option("--svg", "svg_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write the map to this new SVG file.")
@click.option("--min-population", type=click.Choice([str(p) for p in POPULATIONS]),
              default="15000", show_default=True, help="Smallest gazetteer town.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_kith
def map_cmd(kith: KithContext, grid: str, k: int, segments: tuple[str, ...],
            tags: tuple[str, ...], saved: tuple[str, ...], accepts: tuple[str, ...], where: str,
            svg_path: Path | None, min_population: str, as_json: bool) -> None:
    """Show where supporters are, as counts per cell (no cell under k; nothing stored)."""
    chosen = Grid.parse(grid)
    vault = kith.unlock()
    wanted = select(vault, Selection(segments, tags, saved, accepts, where))
    found = build(vault, wanted, load(int(min_population)), chosen, k)
    if svg_path is not None:
        write_svg(found, svg_path)
        click.echo(f"wrote {safe(str(svg_path))} (counts per cell only)", err=True)
    if as_json:
        emit_json(found.to_json())
        return
    for line in text_map(found):
        click.echo(safe(line))
