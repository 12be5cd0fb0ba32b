"""The win_offer_ra action plugin with the host engine faked at _execute_module."""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.winra.remote_assistance.plugins.action.win_offer_ra import ActionModule
from ansible_collections.winra.remote_assistance.plugins.modules import win_offer_ra
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    typed_changes,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
ENGINE = "winra.remote_assistance.win_ra_state"
DESK = "CONTOSO\\Helpdesk"
MSRA = "%SystemRoot%\\System32\\msra.exe"
OFFER_RA_RULES = (
    "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
    "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
)
BOB = "CONTOSO\\bob"

COMPLIANT = {
    TS: [
        ("fAllowUnsolicited", "REG_DWORD", 1),
        ("fAllowUnsolicitedFullControl", "REG_DWORD", 0),
        ("fDenyTSConnections", "REG_DWORD", 1),
    ],
    RAU: [("contoso\\HELPDESK", "REG_SZ", "CONTOSO\\helpdesk")],
    OLE: [("EnableDCOM", "REG_SZ", "Y")],
}
DRIFTED = {
    TS: [("fAllowUnsolicited", "REG_DWORD", 0), ("fDenyTSConnections", "REG_DWORD", 1)],
    RAU: [("CONTOSO\\old", "REG_SZ", "CONTOSO\\old")],
    OLE: [("EnableDCOM", "REG_SZ", "N")],
}
ARGS = {"helpers": [DESK]}


@pytest.fixture
def engine(fake_engine, make_read):
    def _engine(keys, apply_result=None, **read_kwargs):
        return fake_engine(make_read(keys=keys, **read_kwargs), apply_result)

    return _engine


@pytest.mark.parametrize(
    ("args", "option", "value"),
    [
        ({"helpers": ["contoso.com\\bob"]}, "helpers", "contoso.com\\bob"),
        ({"helpers": ["CONTOSO\\a|b"]}, "helpers", "CONTOSO\\a|b"),
        ({"helpers": ["CONTOSO\\bob", "contoso\\BOB"]}, "helpers", "contoso\\BOB"),
        ({"helpers": [" CONTOSO\\bob"]}, "helpers", " CONTOSO\\bob"),
        ({"solicited": {"max_ticket_expiry": 100}}, "solicited.max_ticket_expiry", 100),
    ],
)
def test_bad_input_fails_naming_option_and_value_without_any_engine_run(
    run_action, engine, args, option, value
):
    fake = engine(COMPLIANT)
    result = run_action(ActionModule, args, fake)
    assert result["failed"] is True
    assert f"option '{option}'" in result["msg"] and repr(value) in result["msg"]
    assert fake.calls == [] and result["engine_runs"] == 0
    assert result["changed"] is False and result["drift"] == [] and result["helpers"] is None


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"state": "present"}, "state"),
        ({"permission": "full"}, "permission"),
        ({"helpers_mode": "merge"}, "helpers_mode"),
        ({"helper": [DESK]}, "helper"),
    ],
)
def test_argument_spec_failure_runs_nothing(run_action, engine, args, fragment):
    fake = engine(COMPLIANT)
    result = run_action(ActionModule, args, fake)
    assert result["failed"] is True and fragment in result["msg"]
    assert fake.calls == []


def test_compliant_host_costs_one_read(run_action, engine):
    fake = engine(COMPLIANT)
    result = run_action(ActionModule, ARGS, fake)
    assert fake.actions == ["read"]
    assert fake.calls[0]["module_name"] == ENGINE
    read_args = fake.calls[0]["module_args"]
    # The keys asked for come first; the engine-contract decoding adds its own after them.
    assert read_args["keys"][:3] == [TS, RAU, OLE]
    assert {k: v for k, v in read_args.items() if k != "keys"} == {
        "action": "read",
        "accounts": [],
        "firewall_rules": list(OFFER_RA_RULES),
        "exists": [MSRA],  # existence only: the program's bytes are never read
        "policy_sources": True,
    }
    assert result["changed"] is False and result["drift"] == [] and result["engine_runs"] == 1
    # The helper is stored in another case: compliant, reported as the host holds it.
    assert result["helpers"] == ["CONTOSO\\helpdesk"]
    assert "failed" not in result and "warnings" not in result


def test_drifted_host_reads_then_applies_the_right_changes(run_action, engine):
    fake = engine(DRIFTED)
    result = run_action(ActionModule, {**ARGS, "permission": "control"}, fake)
    assert fake.actions == ["read", "apply"]
    changes = typed_changes(fake.calls[1]["module_args"]["changes"])
    assert changes == [
        {
            "op": "set_value",
            "path": TS,
            "name": "fAllowUnsolicited",
            "type": "REG_DWORD",
            "data": 1,
            "expect": {"present": True, "type": "REG_DWORD", "data": 0},
        },
        {
            "op": "set_value",
            "path": TS,
            "name": "fAllowUnsolicitedFullControl",
            "type": "REG_DWORD",
            "data": 1,
            "expect": {"present": False},
        },
        {
            "op": "set_value",
            "path": RAU,
            "name": DESK,
            "type": "REG_SZ",
            "data": DESK,
            "expect": {"present": False},
        },
        {
            "op": "delete_value",
            "path": RAU,
            "name": "CONTOSO\\old",
            "expect": {"present": True, "type": "REG_SZ", "data": "CONTOSO\\old"},
        },
        {
            "op": "set_value",
            "path": OLE,
            "name": "EnableDCOM",
            "type": "REG_SZ",
            "data": "Y",
            "expect": {"present": True, "type": "REG_SZ", "data": "N"},
        },
    ]
    assert not any(change["name"] == "fDenyTSConnections" for change in changes)
    assert result["changed"] is True and result["engine_runs"] == 2
    assert [item["setting"] for item in result["drift"]] == [
        "offer_policy",
        "permission",
        "helpers",
        "helpers",
        "dcom",
    ]
    assert result["helpers"] == [DESK]


def test_check_mode_reports_drift_and_never_applies(run_action, engine):
    fake = engine(DRIFTED)
    result = run_action(ActionModule, ARGS, fake, check_mode=True)
    assert fake.actions == ["read"]
    assert result["changed"] is True and result["engine_runs"] == 1
    assert {(item["path"], item["name"]) for item in result["drift"]} == {
        (TS, "fAllowUnsolicited"),
        (TS, "fAllowUnsolicitedFullControl"),
        (RAU, DESK),
        (RAU, "CONTOSO\\old"),
        (OLE, "EnableDCOM"),
    }
    assert result["helpers"] == [DESK]


def test_diff_shows_before_and_after_of_every_managed_value(run_action, engine):
    result = run_action(ActionModule, ARGS, engine(DRIFTED), check_mode=True, diff=True)
    before = result["diff"]["before"].splitlines()
    after = result["diff"]["after"].splitlines()
    assert f"{TS}\\fAllowUnsolicited = REG_DWORD:0 (0x0)" in before
    assert f"{TS}\\fAllowUnsolicited = REG_DWORD:1 (0x1)" in after
    assert f"{RAU}\\CONTOSO\\old = REG_SZ:CONTOSO\\old" in before
    assert f"{RAU}\\CONTOSO\\old = (absent)" in after
    assert f"{RAU}\\{DESK} = (absent)" in before
    assert f"{RAU}\\{DESK} = REG_SZ:{DESK}" in after
    assert f"{OLE}\\EnableDCOM = REG_SZ:Y" in after
    assert not any("fDenyTSConnections" in line for line in before + after)


def test_no_diff_key_without_diff_mode(run_action, engine):
    assert "diff" not in run_action(ActionModule, ARGS, engine(DRIFTED), check_mode=True)


def test_precondition_failure_from_the_engine_fails_with_conflicts(run_action, engine):
    conflict = {
        "path": OLE,
        "name": "EnableDCOM",
        "expected": {"present": True, "type": "REG_SZ", "data": "N"},
        "actual": {"present": True, "type": "REG_SZ", "data": "Y"},
    }
    refused = {
        "failed": True,
        "changed": False,
        "contract_version": 1,
        "msg": "EnableDCOM changed since it was read",
        "error": "precondition",
        "conflicts": [conflict],
    }
    fake = engine(DRIFTED, refused)
    result = run_action(ActionModule, ARGS, fake)
    assert fake.actions == ["read", "apply"]
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "precondition" and result["conflicts"] == [conflict]
    assert "EnableDCOM changed since it was read" in result["msg"]
    assert result["helpers"] is None


def test_home_edition_fails_after_the_read_naming_the_edition(run_action, engine):
    fake = engine(DRIFTED, facts={"edition": "CoreSingleLanguage"})
    result = run_action(ActionModule, ARGS, fake)
    assert fake.actions == ["read"]
    assert result["failed"] is True and "'CoreSingleLanguage'" in result["msg"]
    assert result["changed"] is False and result["helpers"] is None


def test_validate_helpers_asks_for_sids_and_fails_on_unresolved(run_action, engine):
    fake = engine(DRIFTED, accounts={DESK: "S-1-5-21-1-2-3-1105", BOB: None})
    result = run_action(ActionModule, {"helpers": [DESK, BOB], "validate_helpers": True}, fake)
    assert fake.calls[0]["module_args"]["accounts"] == [DESK, BOB]
    assert fake.actions == ["read"]
    assert result["failed"] is True and "'CONTOSO\\bob'" in result["msg"]
    assert "Helpdesk" not in result["msg"]


def test_validate_helpers_with_all_resolved_applies(run_action, engine):
    fake = engine(DRIFTED, accounts={DESK: "S-1-5-21-1-2-3-1105"})
    result = run_action(ActionModule, {**ARGS, "validate_helpers": True}, fake)
    assert fake.actions == ["read", "apply"] and "failed" not in result


def test_warning_for_an_empty_exclusive_helper_list(run_action, engine):
    result = run_action(ActionModule, {}, engine(COMPLIANT), check_mode=True)
    assert any("empty helper list" in warning for warning in result["warnings"])
    assert result["helpers"] == []


def test_dcom_false_does_not_read_ole(run_action, engine):
    fake = engine(COMPLIANT)
    run_action(ActionModule, {**ARGS, "dcom": False}, fake)
    assert OLE not in fake.calls[0]["module_args"]["keys"]
    assert fake.calls[0]["module_args"]["keys"][:2] == [TS, RAU]


def test_absent_state_clears_policy_and_helpers(run_action, engine):
    fake = engine(COMPLIANT)
    result = run_action(ActionModule, {"state": "absent"}, fake)
    changes = typed_changes(fake.calls[1]["module_args"]["changes"])
    assert [(c["op"], c["name"]) for c in changes] == [
        ("delete_value", "fAllowUnsolicited"),
        ("delete_value", "fAllowUnsolicitedFullControl"),
        ("delete_value", "contoso\\HELPDESK"),
    ]
    assert result["helpers"] == []


ALWAYS = sorted(
    key
    for key, entry in yaml.safe_load(win_offer_ra.RETURN).items()
    if entry["returned"] == "always"
)


@pytest.mark.parametrize(
    ("args", "keys", "check_mode", "apply_result"),
    [
        ({"helpers": ["bad"]}, COMPLIANT, False, None),
        (ARGS, COMPLIANT, False, None),
        (ARGS, DRIFTED, False, None),
        (ARGS, DRIFTED, True, None),
        (ARGS, DRIFTED, False, {"failed": True, "msg": "x", "error": "write_failed"}),
    ],
    ids=["bad-input", "compliant", "applied", "check-mode", "apply-failed"],
)
def test_every_always_returned_key_is_present(
    run_action, engine, args, keys, check_mode, apply_result
):
    result = run_action(ActionModule, args, engine(keys, apply_result), check_mode=check_mode)
    assert {"drift", "engine_runs", "gpo_conflicts", "helpers"} <= set(ALWAYS)
    for key in [*ALWAYS, "changed"]:
        assert key in result, key


DCOM_RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"


def _rule(group="@FirewallAPI.dll,-33002", exists=True):
    return {
        "name": DCOM_RULE,
        "exists": exists,
        "enabled": False,
        "profiles": ["domain"],
        "group": group if exists else None,
    }


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        (_rule(exists=False), "does not exist on this host"),
        (_rule(group="@Other.dll,-1"), "not the Remote Assistance group"),
    ],
)
def test_required_firewall_rules_are_checked_in_the_read_before_any_write(
    run_action, engine, rule, fragment
):
    fake = engine(DRIFTED, firewall_rules=[rule])
    result = run_action(ActionModule, {**ARGS, "require_firewall_rules": [DCOM_RULE]}, fake)
    assert fake.actions == ["read"]
    assert fake.calls[0]["module_args"]["firewall_rules"] == list(OFFER_RA_RULES)
    assert result["failed"] is True and fragment in result["msg"] and DCOM_RULE in result["msg"]


def test_present_required_rule_lets_the_policy_converge(run_action, engine):
    fake = engine(DRIFTED, firewall_rules=[_rule()])
    result = run_action(ActionModule, {**ARGS, "require_firewall_rules": [DCOM_RULE]}, fake)
    assert fake.actions == ["read", "apply"] and result["changed"] is True


def test_without_the_policy_enabled_no_rule_and_no_file_is_read(run_action, engine):
    fake = engine(COMPLIANT)
    run_action(ActionModule, {"state": "disabled"}, fake)
    assert fake.calls[0]["module_args"]["firewall_rules"] == []
    assert "files" not in fake.calls[0]["module_args"]
    assert "exists" not in fake.calls[0]["module_args"]


def test_a_gpo_that_sets_view_only_is_reported_against_permission_control(run_action, engine):
    gpo = "RA Baseline (view only)"
    sources = [(TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 0, gpo)]
    fake = engine(COMPLIANT, policy_sources=sources)
    result = run_action(ActionModule, {**ARGS, "permission": "control"}, fake, check_mode=True)
    assert [(c["setting"], c["name"], c["gpo"]) for c in result["gpo_conflicts"]] == [
        ("permission", "fAllowUnsolicitedFullControl", gpo)
    ]
    assert any(gpo in warning for warning in result["warnings"])
    view = run_action(ActionModule, ARGS, engine(COMPLIANT, policy_sources=sources))
    assert view["gpo_conflicts"] == [], "the GPO agrees with permission view"
