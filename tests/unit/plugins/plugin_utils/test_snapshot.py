"""The per-host snapshot: taken from the read, sealed, written atomically, kept once taken."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
READ = {
    "keys": [
        {
            "path": TS,
            "exists": True,
            "values": [
                {"name": "fAllowUnsolicited", "type": "REG_DWORD", "data": 0},
                {"name": "fDenyTSConnections", "type": "REG_DWORD", "data": 1},
            ],
        },
        {"path": RAU, "exists": False, "values": []},
        {"path": TS.lower(), "exists": True, "values": []},
    ],
    "firewall_rules": [
        {"name": RULE, "exists": True, "enabled": False, "profiles": ["domain"], "group": "g"},
        {"name": "Checked-Only", "exists": False, "enabled": None, "profiles": []},
    ],
    "files": [{"path": "C:\\Windows\\System32\\msra.exe", "exists": True, "data": "TVo="}],
}
CHANGES = [
    {"op": "set_value", "path": TS, "name": "fAllowUnsolicited", "type": "REG_DWORD", "data": 1},
    {"op": "set_value", "path": RAU, "name": "C\\h", "type": "REG_SZ", "data": "C\\h"},
    {"op": "delete_value", "path": TS, "name": "FDENYTSCONNECTIONS"},
    {"op": "set_rule", "name": RULE.lower(), "enabled": True, "profiles": ["domain", "private"]},
]


def test_the_state_holds_every_key_read_once_and_only_managed_rules_and_files():
    state = _snapshot.state_from_read(READ, rules=[RULE.upper()])
    assert [k["path"] for k in state["keys"]] == [TS, RAU]
    assert state["keys"][0]["values"] == READ["keys"][0]["values"]
    assert state["firewall_rules"] == [
        {"name": RULE, "exists": True, "enabled": False, "profiles": ["domain"]}
    ]
    assert state["files"] == [], "msra.exe is read to check it, not managed"


def test_after_is_before_with_the_changes_made():
    before = _snapshot.state_from_read(READ, rules=[RULE])
    after = _snapshot.after_changes(before, CHANGES)
    assert after["keys"][0]["values"] == [
        {"name": "fAllowUnsolicited", "type": "REG_DWORD", "data": 1}
    ]
    assert after["keys"][1] == {
        "path": RAU,
        "exists": True,
        "values": [{"name": "C\\h", "type": "REG_SZ", "data": "C\\h"}],
    }
    assert after["firewall_rules"][0]["enabled"] is True
    assert before["keys"][0]["values"][0]["data"] == 0, "before is not touched"


def _doc(host="ws1"):
    before = _snapshot.state_from_read(READ, rules=[RULE])
    return _snapshot.document(host, before, _snapshot.after_changes(before, CHANGES), "T")


def test_save_then_load_round_trips_and_leaves_no_temporary_file(tmp_path):
    saved = _snapshot.save(str(tmp_path / "snaps"), _doc(), overwrite=False)
    assert saved["written"] is True and saved["path"].endswith("ws1.json")
    assert os.listdir(tmp_path / "snaps") == ["ws1.json"]
    assert _snapshot.load(str(tmp_path / "snaps"), "ws1") == _doc()


def test_an_existing_snapshot_is_kept_unless_overwrite(tmp_path):
    first = _doc()
    _snapshot.save(str(tmp_path), first, overwrite=False)
    second = _snapshot.document("ws1", first["after"], first["after"], "T2")
    kept = _snapshot.save(str(tmp_path), second, overwrite=False)
    assert kept["written"] is False and kept["sha256"] == first["sha256"]
    assert _snapshot.load(str(tmp_path), "ws1")["taken_at"] == "T"
    replaced = _snapshot.save(str(tmp_path), second, overwrite=True)
    assert replaced["written"] is True
    assert _snapshot.load(str(tmp_path), "ws1")["taken_at"] == "T2"


def test_an_altered_snapshot_is_refused(tmp_path):
    _snapshot.save(str(tmp_path), _doc(), overwrite=False)
    path = tmp_path / "ws1.json"
    doc = json.loads(path.read_text())
    doc["before"]["keys"][0]["values"][0]["data"] = 7
    path.write_text(json.dumps(doc))
    with pytest.raises(_snapshot.SnapshotError, match="sha256"):
        _snapshot.load(str(tmp_path), "ws1")


def test_a_snapshot_of_another_host_is_refused(tmp_path):
    _snapshot.save(str(tmp_path), _doc("ws2"), overwrite=False)
    os.rename(tmp_path / "ws2.json", tmp_path / "ws1.json")
    with pytest.raises(_snapshot.SnapshotError, match="'ws2'"):
        _snapshot.load(str(tmp_path), "ws1")


def test_a_missing_snapshot_names_the_file(tmp_path):
    with pytest.raises(_snapshot.SnapshotError, match=r"ws1\.json"):
        _snapshot.load(str(tmp_path), "ws1")


def test_host_names_become_safe_file_names(tmp_path):
    assert _snapshot.file_for("d", "../x:1") == os.path.join("d", "_x_1.json")


def test_a_directory_that_cannot_be_made_fails_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(_snapshot.SnapshotError, match="Failed to write the snapshot"):
        _snapshot.save(str(blocker / "snaps"), _doc(), overwrite=False)


@pytest.mark.parametrize(
    ("args", "option"),
    [
        ({"snapshot_dir": ""}, "snapshot_dir"),
        ({"snapshot_overwrite": "maybe"}, "snapshot_overwrite"),
    ],
)
def test_bad_snapshot_options_are_named(args, option):
    _rest, _options, errors = _snapshot.split_options(args)
    assert [e.option for e in errors] == [option]
    assert all(isinstance(e, OptionError) for e in errors)


def test_the_snapshot_options_are_taken_out_of_the_task_arguments():
    rest, options, errors = _snapshot.split_options(
        {"helpers": [], "snapshot_dir": "snaps", "snapshot_overwrite": "yes"}
    )
    assert rest == {"helpers": []} and errors == []
    assert options == _snapshot.SnapshotOptions("snaps", True)
