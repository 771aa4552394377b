"""Drawing a supporter map: a text map for the terminal and an SVG file for print.

Both carry only what ``Map`` holds: cells (gazetteer labels, centres, outlines) and their
counts, each at least k. The SVG, the file that travels, carries nothing else: not how many
were hidden or not placed, which next to a filter known to its reader ("our members in one
small town") could say "one person there". Those counts are for the organizer's terminal.

The projection is equirectangular over the shown cells' extent: coarse on purpose, it is a
picture of where support is concentrated, not a street map.

The SVG is written to a new file (``O_EXCL | O_NOFOLLOW``, mode 0600: never over an existing
file or through a planted symlink), like every file Kith writes.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from html import escape
from pathlib import Path

from geo.cells import Shown
from geo.supporter_map import Map
from vault.core.files import create_private
from vault.errors import InvalidInput

MARKS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WIDTH, HEIGHT = 960, 540


def _extent(shown: tuple[Shown, ...]) -> tuple[float, float, float, float]:
    """(south, north, west, east) around every centre and outline, padded."""
    points = [s.center for s in shown] + [p for s in shown for p in s.outline]
    lats = [p[0] for p in points] or [0.0]
    lons = [p[1] for p in points] or [0.0]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    pad_lat = max((north - south) * 0.08, 0.5)
    pad_lon = max((east - west) * 0.08, 0.5)
    return (max(south - pad_lat, -90.0), min(north + pad_lat, 90.0),
            max(west - pad_lon, -180.0), min(east + pad_lon, 180.0))


def _mark(index: int) -> str:
    return MARKS[index] if index < len(MARKS) else "+"


def text_map(found: Map, width: int = 72, height: int = 18) -> list[str]:
    """The map as lines of text: a framed drawing with one mark per cell, then the legend."""
    shown = found.aggregate.shown
    lines = [f"supporter map: grid {found.grid}, k={found.k}: {found.placed} of "
             f"{found.selected} placed, {len(shown)} cell(s) shown"]
    if shown:
        south, north, west, east = _extent(shown)
        canvas = [[" "] * width for _ in range(height)]
        for index, cell in enumerate(shown):
            lat, lon = cell.center
            x = round((lon - west) / (east - west) * (width - 1))
            y = round((north - lat) / (north - south) * (height - 1))
            here = canvas[min(max(y, 0), height - 1)][min(max(x, 0), width - 1)]
            canvas[min(max(y, 0), height - 1)][min(max(x, 0), width - 1)] = (
                _mark(index) if here == " " else "*")
        lines.append(f"+{'-' * width}+  {north:.1f}")
        lines += ["|" + "".join(row) + "|" for row in canvas]
        lines.append(f"+{'-' * width}+  {south:.1f}")
        lines.append(f" {west:.1f}".ljust(width - 6) + f"{east:.1f}")
        lines.append("  (* marks cells drawn on the same spot)")
        for index, cell in enumerate(shown):
            lines.append(f"  {_mark(index):>2}  {cell.count:>6}  {cell.label}")
    lines += _footer(found)
    return lines


def _footer(found: Map) -> list[str]:
    out = []
    if found.aggregate.merged:
        out.append(f"  {found.aggregate.merged} in cells under {found.k} merged into a "
                   "wider area")
    if found.aggregate.hidden:
        out.append(f"  {found.aggregate.hidden} hidden: fewer than {found.k} even at the "
                   "widest level")
    for reason, count in found.unplaced.items():
        out.append(f"  {count} not placed: {reason}")
    return out


def svg(found: Map) -> str:
    """The map as an SVG document (counts per cell only)."""
    shown = found.aggregate.shown
    south, north, west, east = _extent(shown)
    top, bottom, left, right = 40, HEIGHT - 20, 20, WIDTH - 20
    # One scale for both axes (longitudes shrunk by the cosine of the middle latitude), so a
    # hexagon looks like one; the drawing is centred in the frame.
    squeeze = max(math.cos(math.radians((north + south) / 2)), 0.2)
    scale = min((right - left) / ((east - west) * squeeze), (bottom - top) / (north - south))
    x0 = left + ((right - left) - (east - west) * squeeze * scale) / 2
    y0 = top + ((bottom - top) - (north - south) * scale) / 2

    def xy(lat: float, lon: float) -> tuple[float, float]:
        return round(x0 + (lon - west) * squeeze * scale, 1), round(y0 + (north - lat) * scale, 1)

    biggest = max((s.count for s in shown), default=1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif">',
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#f7f7f2"/>',
        f'<text x="20" y="26" font-size="16">{escape(_title(found))}</text>',
    ]
    (gx0, gy0), (gx1, gy1) = xy(north, west), xy(south, east)
    for lon in range(math.ceil(west / 10) * 10, math.floor(east / 10) * 10 + 1, 10):
        x = xy(north, lon)[0]
        parts.append(f'<line x1="{x}" y1="{gy0}" x2="{x}" y2="{gy1}" stroke="#ddd"/>')
    for lat in range(math.ceil(south / 10) * 10, math.floor(north / 10) * 10 + 1, 10):
        y = xy(lat, west)[1]
        parts.append(f'<line x1="{gx0}" y1="{y}" x2="{gx1}" y2="{y}" stroke="#ddd"/>')
    for cell in sorted(shown, key=lambda c: not c.merged):  # wider areas first, underneath
        parts += _cell_svg(cell, xy, cell.count / biggest)
    parts.append(f'<text x="20" y="{HEIGHT - 4}" font-size="11">Cells under {found.k} '
                 'people are merged into a wider area or left out. Made offline by Kith.</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _cell_svg(cell: Shown, xy: Callable[[float, float], tuple[float, float]],
              share: float) -> list[str]:
    """A hexagon (or a disc, for cities, countries and hexagons too small to see), its count
    and its gazetteer label."""
    x, y = xy(*cell.center)
    shade = 0.25 + 0.6 * share
    style = f'fill="#b03a2e" fill-opacity="{shade:.2f}" stroke="#7b241c"'
    points = [xy(*p) for p in cell.outline]
    span = max((abs(a - x) for a, _ in points), default=0.0)
    wraps = bool(cell.outline) and (max(p[1] for p in cell.outline)
                                    - min(p[1] for p in cell.outline)) >= 180
    if points and span >= 8 and not wraps:
        shape = f'<polygon points="{" ".join(f"{a},{b}" for a, b in points)}" {style}/>'
        below = y + span * 0.6 + 12
    else:
        radius = 8 + 22 * math.sqrt(share)
        shape = f'<circle cx="{x}" cy="{y}" r="{radius:.1f}" {style}/>'
        below = y + radius + 12
    return [
        f"<g>{shape}<title>{escape(cell.label)}: {cell.count}</title></g>",
        f'<text x="{x}" y="{round(y + 4, 1)}" font-size="12" text-anchor="middle" '
        f'font-weight="bold">{cell.count}</text>',
        f'<text x="{x}" y="{round(below, 1)}" font-size="10" text-anchor="middle" '
        f'fill="#333">{escape(cell.label)}</text>',
    ]


def _title(found: Map) -> str:
    return (f"Supporters: {sum(s.count for s in found.aggregate.shown)} shown in "
            f"{len(found.aggregate.shown)} cell(s), grid {found.grid}, "
            f"no cell under {found.k}")


def write_svg(found: Map, path: Path) -> None:
    """Write the SVG to a new file (module rules)."""
    try:
        fd = create_private(path)
    except FileExistsError:
        raise InvalidInput("(that file exists: Kith writes a new file, never over one)") from None
    except OSError:
        raise InvalidInput("(cannot create that file)") from None
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(svg(found))
