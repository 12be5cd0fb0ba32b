"""The role's three descriptions of its variables agree: defaults, argument specs, docs/role.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLE = ROOT / "roles" / "offer_remote_assistance"
ROW = re.compile(r"^\| `(offer_remote_assistance_\w+)` \| (.+?) \| .+ \|$")


def _defaults() -> dict:
    return yaml.safe_load((ROLE / "defaults" / "main.yml").read_text(encoding="utf-8"))


def _spec_options() -> dict:
    specs = yaml.safe_load((ROLE / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))
    return specs["argument_specs"]["main"]["options"]


def _documented() -> dict:
    """variable -> documented default, read back as YAML from the docs table."""
    rows = {}
    for line in (ROOT / "docs" / "role.md").read_text(encoding="utf-8").splitlines():
        match = ROW.match(line)
        if match:
            literals = re.findall(r"`([^`]*)`", match.group(2))
            values = [yaml.safe_load(literal) for literal in literals]
            rows[match.group(1)] = values[0] if len(values) == 1 else values
    return rows


def test_every_variable_is_defaulted_specified_and_documented():
    assert set(_defaults()) == set(_spec_options()) == set(_documented())


@pytest.mark.parametrize("variable", sorted(_defaults()))
def test_defaults_spec_and_docs_agree_on_the_default(variable):
    default = _defaults()[variable]
    assert _spec_options()[variable].get("default") == default
    assert _documented()[variable] == default


def test_every_variable_carries_the_role_prefix():
    assert all(name.startswith("offer_remote_assistance_") for name in _defaults())
