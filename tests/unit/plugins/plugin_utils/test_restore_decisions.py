"""win_ra_restore's decisions: what a host must hold to be back at its snapshot."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _restore, _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import HostStateError
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


POL = "C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol"
OLD, NEW = base64.b64encode(b"PReg old").decode(), base64.b64encode(b"PReg new").decode()


def _file(exists, data=None):
    if not exists:
        return {"path": POL, "exists": False, "size": 0, "sha256": None, "data": None}
    raw = base64.b64decode(data)
    return {"path": POL, "exists": True, "sha256": hashlib.sha256(raw).hexdigest(), "data": data}


def _file_snapshot(prior_file):
    change = {
        "op": "replace_file",
        "path": "%SystemRoot%\\System32\\GroupPolicy\\Machine\\Registry.pol",
        "data": NEW,
        "expect": {},
    }
    before = _snapshot.state_from_read({"files": [prior_file]}, files=[change["path"]])
    return _snapshot.document("h", before, _snapshot.after_changes(before, [change]), "T")


def test_a_replaced_file_is_in_the_snapshot_and_put_back_compare_and_swap():
    snap = _file_snapshot(_file(True, OLD))
    assert snap["before"]["files"] == [_file(True, OLD) | {"path": POL}]
    assert snap["after"]["files"][0]["sha256"] == _file(True, NEW)["sha256"]
    now = {"files": [_file(True, NEW)]}
    assert _restore.differences(snap["after"], CurrentState.from_read(now), now) == []
    assert _restore.read_request(snap)["files"] == [POL]
    assert _restore.file_changes(snap, now) == [
        {
            "op": "replace_file",
            "path": POL,
            "data": OLD,
            "expect": {"present": True, "sha256": _file(True, NEW)["sha256"]},
        }
    ]


def test_a_file_changed_since_the_rollout_is_a_difference():
    snap = _file_snapshot(_file(True, OLD))
    now = {"files": [_file(True, base64.b64encode(b"someone else").decode())]}
    [found] = _restore.differences(snap["after"], CurrentState.from_read(now), now)
    assert found["path"] == POL and found["name"] == ""


def test_a_file_the_snapshot_did_not_have_cannot_be_removed_and_stops_the_restore():
    snap = _file_snapshot(_file(False))
    with pytest.raises(HostStateError, match="cannot delete a file"):
        _restore.file_changes(snap, {"files": [_file(True, NEW)]})


def test_a_snapshot_without_files_asks_for_none():
    snap = _snapshot_of(_read([], False), CHANGES)
    assert "files" not in _restore.read_request(snap)
