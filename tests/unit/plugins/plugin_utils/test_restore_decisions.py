"""win_ra_restore's decisions: what a host must hold to be back at its snapshot."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _restore, _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    WantRule,
    WantValue,
)

LIST = (
    "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\\GloballyOpenPorts\\List"
)
RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
PORT = "135:TCP:*:Enabled:Offer Remote Assistance"


def _read(list_values, rule_enabled):
    return {
        "keys": [
            {
                "path": LIST,
                "exists": bool(list_values),
                "values": [{"name": n, "type": "REG_SZ", "data": n} for n in list_values],
            }
        ],
        "firewall_rules": [
            {"name": RULE, "exists": True, "enabled": rule_enabled, "profiles": ["domain"]}
        ],
    }


def _snapshot_of(prior: dict, changes: list) -> dict:
    before = _snapshot.state_from_read(prior, rules=[RULE])
    return _snapshot.document("h", before, _snapshot.after_changes(before, changes), "T")


CHANGES = [
    {"op": "set_value", "path": LIST, "name": PORT, "type": "REG_SZ", "data": PORT},
    {"op": "set_rule", "name": RULE, "enabled": True, "profiles": ["domain"]},
]


def test_values_added_after_the_snapshot_go_and_rules_get_their_prior_state():
    snap = _snapshot_of(_read([], False), CHANGES)
    current = CurrentState.from_read(_read([PORT], True))
    assert _restore.differences(snap["after"], current) == []
    assert _restore.wants(snap, current) == [
        WantAbsent("restore", LIST, PORT),
        WantRule("restore", RULE, False, ("domain",)),
    ]
    assert _restore.read_request(snap) == {"keys": [LIST], "accounts": [], "firewall_rules": [RULE]}


def test_a_value_the_snapshot_had_is_wanted_back_as_it_was():
    snap = _snapshot_of(_read(["Vendor"], False), [{**CHANGES[0]}])
    current = CurrentState.from_read(_read([], False))
    assert WantValue("restore", LIST, "Vendor", "REG_SZ", "Vendor") in _restore.wants(snap, current)


def test_differences_name_values_and_rules_changed_since_the_rollout():
    snap = _snapshot_of(_read([], False), CHANGES)
    current = CurrentState.from_read(_read([PORT, "Later"], False))
    found = _restore.differences(snap["after"], current)
    assert [(d["path"], d["name"]) for d in found] == [(LIST, "Later"), ("FirewallRule", RULE)]
    assert found[1]["expected"] == {"enabled": True, "profiles": ["domain"]}


def test_a_snapshot_without_files_asks_for_none():
    snap = _snapshot_of(_read([], False), CHANGES)
    assert "files" not in _restore.read_request(snap)
