"""Paper mail merge: labels and letters as PDF, a consented plaintext export (mode 0600)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.conftest import Kith
from tests.outreach.conftest import write


def _post_people(kith: Kith, count: int) -> list[str]:
    made = []
    for i in range(count):
        result = kith("add", "--name", f"Привет Post{i}", "--address",
                      f"{i} rue Haute; Lyon;; 6900{i % 10}; FR")
        assert result.exit_code == 0, result.stderr
        made.append(result.stdout.strip())
    for short in made[:-1]:
        assert kith("prefs", short, "--allow", "post").exit_code == 0
    assert kith("segment", "create", "Mail").exit_code == 0
    assert kith("segment", "add", "Mail", *made).exit_code == 0
    return made


def test_labels_fill_l7160_sheets_and_need_consent(kith: Kith, tmp_path: Path) -> None:
    _post_people(kith, 24)  # 23 consent to post: 21 on the first sheet, 2 on the second
    out = tmp_path / "labels.pdf"
    refused = kith("outreach", "paper", "labels", "--audience", "segment:Mail", "--kind",
                   "news", "--out", str(out))
    assert refused.exit_code == 2 and not out.exists()
    result = kith("outreach", "paper", "labels", "--audience", "segment:Mail", "--kind", "news",
                  "--out", str(out), "--yes-plaintext", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["labels"] == 23
    assert json.loads(result.stdout)["excluded"] == 1
    data = out.read_bytes()
    assert data.startswith(b"%PDF-")
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") == 2
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    again = kith("outreach", "paper", "labels", "--audience", "segment:Mail", "--kind", "news",
                 "--out", str(out), "--yes-plaintext")
    assert again.exit_code == 1  # never overwritten


def test_letters_one_page_each(kith: Kith, tmp_path: Path) -> None:
    _post_people(kith, 3)
    out = tmp_path / "letters.pdf"
    body = write(tmp_path, "letter.txt", "Dear {name},\n\nSee you in {city}.\n")
    result = kith("outreach", "paper", "letters", "--audience", "segment:Mail", "--kind",
                  "events", "--body-file", body, "--out", str(out), "--yes-plaintext", "--json")
    assert result.exit_code == 0, result.stderr
    data = out.read_bytes()
    assert data.count(b"/Type /Page") - data.count(b"/Type /Pages") == 2
    bad = write(tmp_path, "bad.txt", "Dear {0.__class__}")
    refused = kith("outreach", "paper", "letters", "--audience", "segment:Mail", "--kind",
                   "events", "--body-file", bad, "--out", str(tmp_path / "x.pdf"),
                   "--yes-plaintext")
    assert refused.exit_code == 5 and not (tmp_path / "x.pdf").exists()
