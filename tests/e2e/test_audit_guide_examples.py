"""docs/guides/audit.md shows what a real audit prints and writes: the same lab audit that
tools/audit_guide_examples.py took its examples from must give them again, exactly."""

from __future__ import annotations

import sys

import pytest
from e2e_support import REPO

sys.path.insert(0, str(REPO / "tools"))
import audit_guide_examples as guide

pytestmark = pytest.mark.e2e


def test_every_example_of_the_guide_is_what_a_real_audit_gives(tmp_path):
    examples, html_file = guide.run_audit(tmp_path)
    documented = guide.blocks(guide.GUIDE.read_text(encoding="utf-8"))

    assert set(documented) == set(examples), "one marked example per kind, no more, no less"
    for name, example in examples.items():
        assert documented[name] == guide.fenced(name, example), (
            f"docs/guides/audit.md example {name!r} differs from a real audit: "
            "run tools/audit_guide_examples.py"
        )
    assert html_file.exists()


def test_rewriting_replaces_only_the_examples():
    text = (
        "intro\n<!-- audit-example: console -->\n```text\nold\n```\n<!-- /audit-example -->\n"
        "outro\n"
    )
    rewritten = guide.with_examples(text, {"console": "new"})
    assert rewritten == text.replace("old", "new")
    assert guide.with_examples(rewritten, {"console": "new"}) == rewritten
    with pytest.raises(SystemExit, match="no example called 'console'"):
        guide.with_examples(text, {})
