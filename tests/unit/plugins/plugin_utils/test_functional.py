"""Whether Offer Remote Assistance can work: msra.exe and the built-in rules, from the read."""

from __future__ import annotations

from types import SimpleNamespace

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._functional import (
    MSRA,
    problems,
    read_request,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_presets import (
    DEFAULT_RULES,
)

ENABLED = SimpleNamespace(state="enabled")
EXPANDED = "C:\\Windows\\System32\\msra.exe"


def _read(msra_exists=True, rules_exist=(True, True)):
    return {
        "exists": [{"path": EXPANDED, "exists": msra_exists}],
        "firewall_rules": [
            {"name": name, "exists": exists}
            for name, exists in zip(DEFAULT_RULES, rules_exist, strict=True)
        ],
    }


def test_an_enabled_policy_probes_msra_and_reads_the_rules_it_needs():
    # Existence only: the program's bytes are never asked for.
    assert read_request(ENABLED) == {"exists": [MSRA], "firewall_rules": list(DEFAULT_RULES)}


def test_a_policy_not_to_be_enabled_reads_and_reports_nothing():
    for state in ("disabled", "absent"):
        options = SimpleNamespace(state=state)
        assert read_request(options) == {"exists": [], "firewall_rules": []}
        assert problems(options, _read(False, (False, False))) == []


def test_a_working_host_has_no_problem():
    assert problems(ENABLED, _read()) == []


def test_missing_msra_is_named_by_the_path_the_host_reported():
    found = problems(ENABLED, _read(msra_exists=False))
    assert found == [
        f"{EXPANDED} is missing: Offer Remote Assistance cannot start "
        "(on Windows Server, install the Remote Assistance feature)"
    ]


def test_each_missing_rule_is_named():
    found = problems(ENABLED, _read(rules_exist=(True, False)))
    assert len(found) == 1 and DEFAULT_RULES[1] in found[0]


def test_what_the_read_did_not_cover_is_not_a_problem():
    assert problems(ENABLED, {}) == []


def test_msra_matches_case_insensitively_wherever_windows_lives():
    read = {"exists": [{"path": "D:\\WINNT\\system32\\MSRA.EXE", "exists": False}]}
    assert len(problems(ENABLED, read)) == 1


def test_msra_is_judged_from_the_probe_not_from_files():
    # A `files` entry (the Local Group Policy files, or an older read) says nothing here.
    read = {"files": [{"path": EXPANDED, "exists": False, "size": 0, "sha256": None}]}
    assert problems(ENABLED, read) == []
    read["exists"] = [{"path": "%SystemRoot%\\System32\\msra.exe", "exists": False}]
    assert len(problems(ENABLED, read)) == 1
