"""Group Policy conflicts: wants compared with the values a GPO sets (policy_sources)."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
    conflict_warning,
    conflicts,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    WantAbsent,
    WantRule,
    WantValue,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
GPO = "RA Baseline (view only)"
CONTROL = WantValue("permission", TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 1)


def sources(*values, available=True):
    return {
        "available": available,
        "values": [
            {"path": p, "name": n, "type": t, "data": d, "gpo": GPO, "gpo_id": "cn={X}"}
            for p, n, t, d in values
        ],
    }


VIEW_ONLY = (TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 0)


def test_a_gpo_that_sets_another_value_is_a_conflict():
    assert conflicts([CONTROL], sources(VIEW_ONLY)) == [
        {
            "setting": "permission",
            "path": TS,
            "name": "fAllowUnsolicitedFullControl",
            "gpo": GPO,
            "gpo_value": {"type": "REG_DWORD", "data": 0},
            "expected": {"type": "REG_DWORD", "data": 1},
        }
    ]


def test_a_gpo_that_agrees_is_no_conflict():
    agreeing = (TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 1)
    assert conflicts([CONTROL], sources(agreeing)) == []


@pytest.mark.parametrize(
    "gpo_value",
    [
        ("REG_SZ", "1"),  # a string "1" is not DWORD 1
        ("REG_DWORD", 4294967295),
    ],
)
def test_type_and_data_both_count(gpo_value):
    found = conflicts([CONTROL], sources((TS, "fAllowUnsolicitedFullControl", *gpo_value)))
    assert [c["gpo_value"] for c in found] == [{"type": gpo_value[0], "data": gpo_value[1]}]


def test_path_and_name_match_case_insensitively_and_the_gpo_spelling_is_reported():
    lower = (TS.lower().replace("hklm:", "HKEY_LOCAL_MACHINE"), "fallowunsolicitedfullcontrol")
    found = conflicts([CONTROL], sources((*lower, "REG_DWORD", 0)))
    assert [(c["path"], c["name"]) for c in found] == [(TS, "fallowunsolicitedfullcontrol")]


def test_a_value_we_remove_conflicts_with_any_gpo_value():
    helper = (RAU, "CONTOSO\\Contractors", "REG_SZ", "CONTOSO\\Contractors")
    want = WantAbsent("helpers", RAU, "CONTOSO\\Contractors")
    found = conflicts([want], sources(helper))
    assert found[0]["expected"] is None and found[0]["setting"] == "helpers"


def test_no_resultant_set_of_policy_or_no_answer_means_no_conflicts():
    assert conflicts([CONTROL], sources(VIEW_ONLY, available=False)) == []
    assert conflicts([CONTROL], None) == []
    assert conflicts([CONTROL], {}) == []


def test_values_we_do_not_manage_and_rules_are_ignored():
    other = (TS, "fDenyTSConnections", "REG_DWORD", 1)
    rule = WantRule("firewall_rules", "RemoteAssistance-DCOM-In-TCP-NoScope-Active", True)
    assert conflicts([CONTROL, rule], sources(other)) == []


def test_a_repeated_want_gives_one_conflict():
    assert len(conflicts([CONTROL, CONTROL], sources(VIEW_ONLY))) == 1


def test_the_warning_names_the_value_the_gpo_the_refresh_and_the_remedy():
    warning = conflict_warning(conflicts([CONTROL], sources(VIEW_ONLY))[0])
    assert f"{TS}\\fAllowUnsolicitedFullControl" in warning
    assert f"'{GPO}'" in warning and "REG_DWORD:0" in warning and "REG_DWORD:1" in warning
    assert "next refresh (every 90 ± 30 minutes and at boot)" in warning
    assert warning.endswith("change the GPO instead.")


def test_the_warning_for_a_value_we_remove_says_so():
    helper = (RAU, "CONTOSO\\Contractors", "REG_SZ", "CONTOSO\\Contractors")
    found = conflicts([WantAbsent("helpers", RAU, "CONTOSO\\Contractors")], sources(helper))
    assert "this task would remove it" in conflict_warning(found[0])


def test_rsop_logging_off_warns_that_conflicts_are_unknown():
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
        unknown_sources_warning,
    )

    warning = unknown_sources_warning({"available": False, "status": "logging_off", "values": []})
    assert warning and "RSoPLogging = 0" in warning and "unknown" in warning
    assert unknown_sources_warning({"available": True, "status": "ok", "values": []}) is None
    assert unknown_sources_warning(None) is None
