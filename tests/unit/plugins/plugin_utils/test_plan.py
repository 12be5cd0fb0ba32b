from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    decode_value,
    parse_profile,
    typed_changes,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    WantRule,
    WantValue,
    make_plan,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"


def state(values=None, rules=None):
    """CurrentState with one key (TS) holding `values` ({name: (type, data)})."""
    read = {
        "keys": [
            {
                "path": TS,
                "exists": values is not None,
                "values": [
                    {"name": n, "type": t, "data": d} for n, (t, d) in (values or {}).items()
                ],
            }
        ],
        "firewall_rules": rules or [],
    }
    return CurrentState.from_read(read)


def apply_changes(current: CurrentState, changes: list) -> CurrentState:
    """What a correct engine would leave behind; used to show the second plan is empty."""
    values = {v.name: (v.type, v.data) for v in current.key(TS).values}
    rules = {r["name"]: dict(r) for r in current.rules.values()}
    for change in changes:
        if change["op"] == "set_value":
            existing = next((n for n in values if n.casefold() == change["name"].casefold()), None)
            values[existing or change["name"]] = decode_value(change["kind"], change["data"])
        elif change["op"] == "delete_value":
            values = {n: v for n, v in values.items() if n.casefold() != change["name"].casefold()}
        else:
            rules[change["name"]].update(
                enabled=change["enabled"], profiles=parse_profile(change["profile"])
            )
    return state(values, list(rules.values()))


def test_missing_value_is_set_with_expect_absent():
    plan = make_plan(
        [WantValue("offer_policy", TS, "fAllowUnsolicited", "REG_DWORD", 1)], state({})
    )
    assert typed_changes(plan.changes) == [
        {
            "op": "set_value",
            "path": TS,
            "name": "fAllowUnsolicited",
            "type": "REG_DWORD",
            "data": 1,
            "expect": {"present": False},
        }
    ]
    assert plan.drift == [
        {
            "setting": "offer_policy",
            "path": TS,
            "name": "fAllowUnsolicited",
            "expected": {"type": "REG_DWORD", "data": 1},
            "actual": None,
        }
    ]


def test_compliant_value_needs_nothing_but_is_in_the_diff():
    current = state({"fAllowUnsolicited": ("REG_DWORD", 1)})
    plan = make_plan([WantValue("offer_policy", TS, "fallowunsolicited", "REG_DWORD", 1)], current)
    assert typed_changes(plan.changes) == [] and plan.drift == []
    assert plan.before == plan.after == [f"{TS}\\fAllowUnsolicited = REG_DWORD:1 (0x1)"]


def test_wrong_type_is_drift_and_expect_carries_what_was_read():
    current = state({"fAllowUnsolicited": ("REG_SZ", "1")})
    plan = make_plan([WantValue("offer_policy", TS, "fAllowUnsolicited", "REG_DWORD", 1)], current)
    assert typed_changes(plan.changes)[0]["expect"] == {
        "present": True,
        "type": "REG_SZ",
        "data": "1",
    }
    assert plan.drift[0]["actual"] == {"type": "REG_SZ", "data": "1"}


def test_absent_deletes_with_stored_name_case():
    current = state(
        {"FALLOWUNSOLICITEDFULLCONTROL": ("REG_DWORD", 0), "fDenyTSConnections": ("REG_DWORD", 0)}
    )
    plan = make_plan([WantAbsent("permission", TS, "fAllowUnsolicitedFullControl")], current)
    assert typed_changes(plan.changes) == [
        {
            "op": "delete_value",
            "path": TS,
            "name": "FALLOWUNSOLICITEDFULLCONTROL",
            "expect": {"present": True, "type": "REG_DWORD", "data": 0},
        }
    ]
    assert plan.drift[0]["expected"] is None


def test_absent_and_already_absent_needs_nothing():
    plan = make_plan([WantAbsent("permission", TS, "fAllowUnsolicitedFullControl")], state(None))
    assert typed_changes(plan.changes) == []
    assert plan.after == [f"{TS}\\fAllowUnsolicitedFullControl = (absent)"]


def test_dword_max_is_compared_unsigned():
    current = state({"x": ("REG_DWORD", 4294967295)})
    assert make_plan([WantValue("s", TS, "x", "REG_DWORD", 0xFFFFFFFF)], current).changes == []


def test_changes_keep_the_order_of_wants():
    wants = [
        WantValue("helpers", TS, "b", "REG_SZ", "b"),
        WantValue("helpers", TS, "a", "REG_SZ", "a"),
        WantAbsent("helpers", TS, "c"),
    ]
    plan = make_plan(wants, state({"c": ("REG_SZ", "c")}))
    assert [c["name"] for c in plan.changes] == ["b", "a", "c"]


def test_repeated_identical_wants_collapse_and_contradictions_are_refused():
    want = WantValue("dcom", TS, "x", "REG_SZ", "Y")
    assert len(make_plan([want, want], state({})).changes) == 1
    with pytest.raises(ValueError, match="contradicting"):
        make_plan([want, WantAbsent("dcom", TS, "X")], state({}))


def rule(enabled, profiles):
    return {
        "name": RULE,
        "exists": True,
        "enabled": enabled,
        "profiles": profiles,
        "group": "@FirewallAPI.dll,-33002",
    }


def test_rule_is_enabled_with_expect():
    plan = make_plan(
        [WantRule("firewall_rules", RULE.lower(), True, ("domain",))],
        state({}, [rule(False, ["domain"])]),
    )
    assert typed_changes(plan.changes) == [
        {
            "op": "set_rule",
            "name": RULE,
            "enabled": True,
            "profiles": ["domain"],
            "expect": {"enabled": False, "profiles": ["domain"]},
        }
    ]
    assert plan.drift[0]["path"] == "FirewallRule"


def test_rule_profiles_compare_as_sets():
    current = state({}, [rule(True, ["public", "domain"])])
    assert (
        make_plan([WantRule("firewall_rules", RULE, True, ("domain", "public"))], current).changes
        == []
    )


def test_missing_rule_is_a_bug_of_the_caller():
    with pytest.raises(ValueError, match="does not exist"):
        make_plan([WantRule("firewall_rules", RULE, True, ("domain",))], state({}))


def test_second_plan_after_applying_the_first_is_empty():
    wants = [
        WantValue("offer_policy", TS, "fAllowUnsolicited", "REG_DWORD", 1),
        WantValue("permission", TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 0),
        WantAbsent("helpers", TS, "CONTOSO\\old"),
        WantRule("firewall_rules", RULE, True, ("domain",)),
    ]
    current = state(
        {
            "fAllowUnsolicited": ("REG_SZ", "1"),
            "CONTOSO\\old": ("REG_SZ", "CONTOSO\\old"),
            "fDenyTSConnections": ("REG_DWORD", 1),
        },
        [rule(False, [])],
    )
    first = make_plan(wants, current)
    assert len(first.changes) == 4
    after = apply_changes(current, first.changes)
    second = make_plan(wants, after)
    assert typed_changes(second.changes) == [] and second.drift == []
    assert after.value(TS, "fDenyTSConnections").data == 1


def test_value_of_a_type_outside_the_contract_stops_the_plan():
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
        HostStateError,
    )

    current = state({"fAllowUnsolicited": ("REG_OTHER", None)})
    with pytest.raises(HostStateError, match="REG_OTHER"):
        make_plan([WantAbsent("offer_policy", TS, "fAllowUnsolicited")], current)
