"""Writes a domain GPO would undo are held back; the rest of the plan stays."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import conflicts
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo_hold import (
    hold_gpo_values,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantValue,
    make_plan,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
WANTS = [
    WantValue("permission", TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 1),
    WantValue("dcom", OLE, "EnableDCOM", "REG_SZ", "Y"),
]
READ = {
    "keys": [
        {
            "path": TS,
            "exists": True,
            "values": [{"name": "fAllowUnsolicitedFullControl", "type": "REG_DWORD", "data": 0}],
        },
        {
            "path": OLE,
            "exists": True,
            "values": [{"name": "EnableDCOM", "type": "REG_SZ", "data": "N"}],
        },
    ]
}
SOURCES = {
    "available": True,
    "values": [
        {
            "path": TS.upper(),
            "name": "FALLOWUNSOLICITEDFULLCONTROL",
            "type": "REG_DWORD",
            "data": 0,
            "gpo": "RA Baseline",
            "gpo_id": "x",
        }
    ],
}


def _plan():
    return make_plan(WANTS, CurrentState.from_read(READ))


def test_the_conflicting_change_is_held_and_the_other_kept():
    held = hold_gpo_values(_plan(), conflicts(WANTS, SOURCES))
    assert [c["name"] for c in held.changes] == ["EnableDCOM"]
    # Drift stays: the value does differ from the standard.
    assert [d["name"] for d in held.drift] == ["fAllowUnsolicitedFullControl", "EnableDCOM"]


def test_the_diff_shows_the_held_value_left_as_it_is():
    held = hold_gpo_values(_plan(), conflicts(WANTS, SOURCES))
    assert held.after[0] == held.before[0] and held.after[1] != held.before[1]


def test_without_conflicts_the_plan_is_unchanged():
    plan = _plan()
    assert hold_gpo_values(plan, []) is plan


def test_rule_changes_are_never_held():
    plan = _plan()
    plan.changes.append({"op": "set_rule", "name": "R", "enabled": True, "profiles": ["domain"]})
    held = hold_gpo_values(plan, conflicts(WANTS, SOURCES))
    assert [c["op"] for c in held.changes] == ["set_value", "set_rule"]
