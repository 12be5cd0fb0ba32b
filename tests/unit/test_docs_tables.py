"""The docs' tables of value names, presets, profiles and options are generated from the code
that defines them (tools/docs_tables.py), and what the role's YAML repeats agrees with it.

Not shipped in the artifact (galaxy.yml excludes tests/unit/test_docs_*.py): it needs tools/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _fw_options,
    _fw_presets,
    _offer_options,
)

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import docs_tables  # noqa: E402


def test_every_generated_block_is_what_the_tool_writes_now():
    stale = docs_tables.stale()
    assert not stale, f"out of date: {stale}; run .venv/bin/python tools/docs_tables.py"


def test_every_table_is_used_and_every_block_is_known():
    used = []
    for doc in docs_tables.DOCS:
        used += docs_tables.block_names((ROOT / doc).read_text(encoding="utf-8"))
    assert set(used) == set(docs_tables.TABLES)


def test_a_hand_edited_block_is_found_and_rewritten():
    text = (ROOT / "docs" / "registry-values.md").read_text(encoding="utf-8")
    start = "<!-- generated: tools/docs_tables.py firewall-presets -->\n"
    edited = text.replace(start, start + "999:TCP:*:Enabled:Hand edit\n")
    assert edited != text
    assert docs_tables.render(edited) == text


def test_an_unknown_block_name_is_an_error():
    text = "<!-- generated: tools/docs_tables.py no-such-table -->\n<!-- end generated -->"
    with pytest.raises(KeyError, match="no-such-table"):
        docs_tables.render(text, "x.md")


def test_preset_block_holds_the_entries_byte_for_byte():
    text = (ROOT / "docs" / "registry-values.md").read_text(encoding="utf-8")
    for name in _fw_presets.PRESET_NAMES:
        ports, programs = _fw_presets.preset_strings(name)
        for entry in (*ports, *programs):
            assert f"\n{entry}\n" in text
    assert "Remote Assistance \u2013 Windows Messenger and Voice" in text


def _role_options() -> dict:
    spec = ROOT / "roles" / "offer_remote_assistance" / "meta" / "argument_specs.yml"
    return yaml.safe_load(spec.read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]


def test_role_spec_repeats_the_modules_choices_and_defaults_exactly():
    # YAML cannot import Python: the role's spec spells these again, so they are compared.
    options = _role_options()
    prefix = "offer_remote_assistance_"
    assert options[f"{prefix}state"]["choices"] == list(_offer_options.STATES)
    assert options[f"{prefix}permission"]["choices"] == list(_offer_options.PERMISSIONS)
    assert options[f"{prefix}helpers_mode"]["choices"] == list(_offer_options.HELPERS_MODES)
    solicited = options[f"{prefix}solicited"]["options"]
    assert solicited["state"]["choices"] == list(_offer_options.STATES)
    assert solicited["permission"]["choices"] == list(_offer_options.PERMISSIONS)
    assert solicited["max_ticket_expiry_unit"]["choices"] == list(_offer_options.TICKET_UNITS)
    assert options[f"{prefix}firewall_backend"]["choices"] == list(_fw_options.BACKENDS)
    assert options[f"{prefix}firewall_preset"]["choices"] == list(_fw_presets.PRESET_NAMES)
    assert options[f"{prefix}firewall_rules"]["default"] == list(_fw_presets.DEFAULT_RULES)
    profiles = options[f"{prefix}firewall_profiles"]["default"]
    assert profiles == list(_fw_options.DEFAULT_PROFILES["policy"])
