"""The public vectors live in the tree, byte for byte as pinned (tests/vectors/README.md).

Reason: the vector tests parametrize over the files they find; a missing folder or a checkout
that rewrote line endings would silently test less. This pins the exact set and bytes.
"""

from __future__ import annotations

import hashlib

from tests.conftest import ROOT, VECTORS


def test_every_vector_is_present_and_unchanged() -> None:
    listed = {}
    for line in (VECTORS / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        listed[name] = digest
    on_disk = {
        str(p.relative_to(VECTORS))
        for d in ("cctv-age", "wycheproof")
        for p in (VECTORS / d).iterdir()
    }
    assert on_disk == set(listed)
    for name, digest in listed.items():
        assert hashlib.sha256((VECTORS / name).read_bytes()).hexdigest() == digest, name
    assert len([n for n in listed if n.startswith("cctv-age/")]) == 143


def test_vectors_come_with_licences_and_provenance() -> None:
    readme = (VECTORS / "README.md").read_text()
    for needle in ("C2SP/CCTV", "1e3d286", "C2SP/wycheproof", "dac1dd4", "Apache-2.0", "0BSD"):
        assert needle in readme
    assert "Apache License" in (VECTORS / "LICENSE.wycheproof").read_text()
    assert "Zero-Clause BSD" in (VECTORS / "LICENSE.cctv-age").read_text()


def test_no_test_reads_outside_the_tree() -> None:
    """A bare clone has no shared folder beside it: no test may point there."""
    outside = ('"shared" / "vectors"', "../" + "shared")
    for path in (ROOT / "tests").rglob("*.py"):
        if path.name != "test_vectors_present.py":
            text = path.read_text()
            assert not [s for s in outside if s in text], path
