"""win_ra_restore with the host engine faked, and the snapshot a rollout task writes."""

from __future__ import annotations

import json

import pytest

from ansible_collections.winra.remote_assistance.plugins.action.win_offer_ra import (
    ActionModule as OfferAction,
)
from ansible_collections.winra.remote_assistance.plugins.action.win_ra_restore import (
    ActionModule,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    typed_changes,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
DESK = "CONTOSO\\Helpdesk"
HOST = "ws1"

PRIOR = {
    TS: [("fAllowUnsolicited", "REG_DWORD", 0), ("fDenyTSConnections", "REG_DWORD", 1)],
    RAU: None,
    OLE: [("EnableDCOM", "REG_SZ", "N")],
}
ROLLED_OUT = {
    TS: [
        ("fAllowUnsolicited", "REG_DWORD", 1),
        ("fAllowUnsolicitedFullControl", "REG_DWORD", 0),
        ("fDenyTSConnections", "REG_DWORD", 1),
    ],
    RAU: [(DESK, "REG_SZ", DESK)],
    OLE: [("EnableDCOM", "REG_SZ", "Y")],
}


@pytest.fixture
def run_with_host(run_action, monkeypatch):
    """run_action with task_vars carrying inventory_hostname."""

    def _run(action_cls, args, engine, **kwargs):
        original = action_cls.run

        def run(self, tmp=None, task_vars=None):
            return original(self, tmp, {"inventory_hostname": HOST})

        monkeypatch.setattr(action_cls, "run", run)
        try:
            return run_action(action_cls, args, engine, **kwargs)
        finally:
            monkeypatch.setattr(action_cls, "run", original)

    return _run


@pytest.fixture
def rolled_out(tmp_path, run_with_host, fake_engine, make_read):
    """A rollout of win_offer_ra that wrote its snapshot; returns the snapshot directory."""
    snaps = tmp_path / "snaps"
    engine = fake_engine(make_read(keys=PRIOR))
    result = run_with_host(OfferAction, {"helpers": [DESK], "snapshot_dir": str(snaps)}, engine)
    assert result["changed"] is True and engine.actions == ["read", "apply"]
    assert result["snapshot"]["written"] is True
    return snaps


def test_the_rollout_snapshot_holds_the_read_and_the_planned_after_state(rolled_out):
    doc = _snapshot.load(str(rolled_out), HOST)
    by_path = {k["path"]: k for k in doc["before"]["keys"]}
    # The value as read: typed, and the engine's raw form the restore's expect needs.
    value = by_path[TS]["values"][0]
    assert {k: value[k] for k in ("name", "type", "data")} == {
        "name": "fAllowUnsolicited",
        "type": "REG_DWORD",
        "data": 0,
    }
    assert value["raw"] == {"present": True, "kind": "DWord", "data": "00000000"}
    assert by_path[RAU] == {"path": RAU, "exists": False, "values": []}
    after = {k["path"]: k for k in doc["after"]["keys"]}
    assert [v["name"] for v in after[RAU]["values"]] == [DESK]
    assert doc["before"]["firewall_rules"] == [] and doc["before"]["files"] == []


@pytest.mark.parametrize(
    ("keys", "check_mode"), [(PRIOR, True), (ROLLED_OUT, False)], ids=["check-mode", "compliant"]
)
def test_no_snapshot_without_a_write(
    tmp_path, run_with_host, fake_engine, make_read, keys, check_mode
):
    snaps = tmp_path / "snaps"
    engine = fake_engine(make_read(keys=keys))
    args = {"helpers": [DESK], "permission": "view", "snapshot_dir": str(snaps)}
    result = run_with_host(OfferAction, args, engine, check_mode=check_mode)
    assert result["snapshot"] is None and not snaps.exists()


def test_a_snapshot_that_cannot_be_written_stops_the_task_before_any_write(
    tmp_path, run_with_host, fake_engine, make_read
):
    blocker = tmp_path / "file"
    blocker.write_text("")
    engine = fake_engine(make_read(keys=PRIOR))
    args = {"helpers": [DESK], "snapshot_dir": str(blocker / "snaps")}
    result = run_with_host(OfferAction, args, engine)
    assert result["failed"] is True and "nothing was written" in result["msg"]
    assert engine.actions == ["read"] and result["changed"] is False


def test_bad_snapshot_option_fails_before_any_engine_run(run_with_host, fake_engine, make_read):
    engine = fake_engine(make_read(keys=PRIOR))
    result = run_with_host(OfferAction, {"helpers": [DESK], "snapshot_overwrite": "often"}, engine)
    assert result["failed"] is True and "'snapshot_overwrite'" in result["msg"]
    assert engine.calls == []


def test_restore_reads_the_snapshot_keys_and_puts_every_value_back(
    rolled_out, run_with_host, fake_engine, make_read
):
    engine = fake_engine(make_read(keys=ROLLED_OUT))
    result = run_with_host(ActionModule, {"snapshot_dir": str(rolled_out)}, engine, diff=True)
    assert "failed" not in result, result.get("msg")
    read = engine.calls[0]["module_args"]
    # The snapshot's keys, then those the read's decoding needs (facts).
    assert read["keys"][:3] == [TS, RAU, OLE] and read["policy_sources"] is False
    changes = typed_changes(engine.calls[1]["module_args"]["changes"])
    assert sorted((c["op"], c["name"], c.get("data")) for c in changes) == sorted(
        [
            ("set_value", "fAllowUnsolicited", 0),
            ("delete_value", "fAllowUnsolicitedFullControl", None),
            ("delete_value", DESK, None),
            ("set_value", "EnableDCOM", "N"),
        ]
    )
    # Compare-and-swap: every write expects what this read returned.
    assert all(c["expect"]["present"] is True for c in changes)
    assert result["changed"] is True and result["changed_since_rollout"] == []
    assert result["engine_runs"] == 2 and "diff" in result


def test_restore_check_mode_reports_and_never_applies(
    rolled_out, run_with_host, fake_engine, make_read
):
    engine = fake_engine(make_read(keys=ROLLED_OUT))
    result = run_with_host(ActionModule, {"snapshot_dir": str(rolled_out)}, engine, check_mode=True)
    assert engine.actions == ["read"] and result["changed"] is True
    assert len(result["drift"]) == 4


def test_a_host_changed_since_the_rollout_is_left_alone(
    rolled_out, run_with_host, fake_engine, make_read
):
    changed = dict(ROLLED_OUT, **{RAU: [(DESK, "REG_SZ", DESK), ("C\\late", "REG_SZ", "C\\late")]})
    engine = fake_engine(make_read(keys=changed))
    result = run_with_host(ActionModule, {"snapshot_dir": str(rolled_out)}, engine)
    assert result["failed"] is True and "changed since the rollout" in result["msg"]
    assert engine.actions == ["read"]
    assert result["changed_since_rollout"] == [
        {
            "path": RAU,
            "name": "C\\late",
            "expected": None,
            "actual": {"type": "REG_SZ", "data": "C\\late"},
        }
    ]
    forced = run_with_host(
        ActionModule,
        {"snapshot_dir": str(rolled_out), "force": True},
        fake_engine(make_read(keys=changed)),
    )
    assert "failed" not in forced, forced.get("msg")
    late = [d for d in forced["drift"] if d["name"] == "C\\late"]
    assert late == [
        {
            "setting": "restore",
            "path": RAU,
            "name": "C\\late",
            "expected": None,
            "actual": {"type": "REG_SZ", "data": "C\\late"},
        }
    ]


def test_a_host_without_a_snapshot_is_left_alone_with_a_warning(
    tmp_path, run_with_host, fake_engine, make_read
):
    engine = fake_engine(make_read(keys=PRIOR))
    result = run_with_host(ActionModule, {"snapshot_dir": str(tmp_path)}, engine)
    assert "failed" not in result and engine.calls == []
    assert "nothing to restore" in result["warnings"][0]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({}, "'snapshot_dir'"),
        ({"snapshot_dir": "x", "force": "perhaps"}, "'force'"),
        ({"snapshot_dir": "x", "forse": True}, "'forse'"),
    ],
)
def test_bad_restore_input_fails_naming_the_option(
    run_with_host, fake_engine, make_read, args, fragment
):
    engine = fake_engine(make_read(keys=PRIOR))
    result = run_with_host(ActionModule, args, engine)
    assert result["failed"] is True and fragment in result["msg"] and engine.calls == []


def test_a_missing_snapshot_directory_fails(tmp_path, run_with_host, fake_engine, make_read):
    engine = fake_engine(make_read(keys=PRIOR))
    result = run_with_host(ActionModule, {"snapshot_dir": str(tmp_path / "nope")}, engine)
    assert result["failed"] is True and "does not exist" in result["msg"] and engine.calls == []


def test_a_damaged_snapshot_is_refused(rolled_out, run_with_host, fake_engine, make_read):
    path = rolled_out / f"{HOST}.json"
    doc = json.loads(path.read_text())
    doc["taken_at"] = "later"
    path.write_text(json.dumps(doc))
    engine = fake_engine(make_read(keys=ROLLED_OUT))
    result = run_with_host(ActionModule, {"snapshot_dir": str(rolled_out)}, engine)
    assert result["failed"] is True and "sha256" in result["msg"] and engine.calls == []


def test_documentation_matches_the_options_and_every_always_key_is_returned(
    rolled_out, run_with_host, fake_engine, make_read
):
    import yaml

    from ansible_collections.winra.remote_assistance.plugins.modules import win_ra_restore
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils._restore import OPTIONS

    assert sorted(yaml.safe_load(win_ra_restore.DOCUMENTATION)["options"]) == sorted(OPTIONS)
    always = [
        key
        for key, doc in yaml.safe_load(win_ra_restore.RETURN).items()
        if doc["returned"] == "always"
    ]
    for args in ({"snapshot_dir": str(rolled_out)}, {"force": "x"}):
        result = run_with_host(ActionModule, args, fake_engine(make_read(keys=ROLLED_OUT)))
        assert all(key in result for key in always), args
