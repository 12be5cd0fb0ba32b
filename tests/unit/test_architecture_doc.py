"""docs/architecture.md lists exactly the options each module accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _composite,
    _fw_options,
    _offer_options,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "architecture.md"


def _documented_options(module: str) -> set[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### `{module}`", 1)[1].split("\n### ", 1)[0]
    return set(re.findall(r"^\| `(\w+)` \|", section, re.MULTILINE))


@pytest.mark.parametrize(
    ("module", "spec"),
    [
        ("win_offer_ra", _offer_options.ARGUMENT_SPEC),
        ("win_ra_firewall", _fw_options.ARGUMENT_SPEC),
        ("win_remote_assistance", _composite.ARGUMENT_SPEC),
    ],
)
def test_architecture_doc_lists_every_option(module, spec):
    assert _documented_options(module) == set(spec)
