"""docs/conventions.md is generated from the conventions' tables and must not drift from them."""

from __future__ import annotations

from pathlib import Path

from spanhouse.normalise import docs
from spanhouse.normalise.conventions import REGISTRY

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_doc_matches_the_tables():
    committed = (ROOT / docs.DOC_PATH).read_text(encoding="utf-8")
    assert committed == docs.render(), "run: python -m spanhouse.normalise.docs"


def test_the_doc_lists_every_attribute_of_every_convention():
    text = docs.render()
    missing = [(c.name, row.key) for c in REGISTRY for row in c.table.rows if f"| `{row.key}` |" not in text]
    assert missing == []


def test_check_mode_reports_drift(tmp_path):
    stale = tmp_path / "conventions.md"
    stale.write_text("old\n", encoding="utf-8")
    assert docs.main(["--check", "--path", str(stale)]) == 1
    assert docs.main(["--path", str(stale)]) == 0
    assert docs.main(["--check", "--path", str(stale)]) == 0
