"""The validate -> read -> plan -> apply loop, with a minimal subclass and a fake engine."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _engine_action
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    ENGINE,
    EngineAction,
    EnginePart,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    typed_changes,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import WantValue

OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"


def _validate(params):
    if params["flag"] == "bad":
        raise OptionError("flag", params["flag"], "is bad on purpose")
    return params, []


def _desired(options, current):
    if options["flag"] == "refuse":
        raise HostStateError("this host cannot comply")
    return [WantValue("dcom", OLE, "EnableDCOM", "REG_SZ", options["flag"])], []


class ActionModule(EngineAction):
    PART = EnginePart(
        argument_spec={
            "flag": {"type": "str", "default": "Y", "choices": ["Y", "N", "bad", "refuse"]},
        },
        validate=_validate,
        read_request=lambda options: {"keys": [OLE]},
        desired=_desired,
    )


@pytest.fixture
def engine_with(fake_engine, make_read):
    def _engine(data, apply_result=None):
        keys = {OLE: [("EnableDCOM", "REG_SZ", data)] if data is not None else []}
        return fake_engine(make_read(keys=keys), apply_result)

    return _engine


def test_compliant_host_costs_one_engine_run(run_action, engine_with):
    engine = engine_with("Y")
    result = run_action(ActionModule, {}, engine)
    assert engine.actions == ["read"]
    assert engine.calls[0]["module_name"] == ENGINE
    read_args = engine.calls[0]["module_args"]
    assert read_args["keys"][0] == OLE and read_args["policy_sources"] is True
    assert result["changed"] is False and result["drift"] == [] and result["engine_runs"] == 1
    assert "failed" not in result


def test_drifted_host_reads_then_applies(run_action, engine_with):
    engine = engine_with("N")
    result = run_action(ActionModule, {}, engine)
    assert engine.actions == ["read", "apply"]
    assert typed_changes(engine.calls[1]["module_args"]["changes"]) == [
        {
            "op": "set_value",
            "path": OLE,
            "name": "EnableDCOM",
            "type": "REG_SZ",
            "data": "Y",
            "expect": {"present": True, "type": "REG_SZ", "data": "N"},
        }
    ]
    assert result["changed"] is True and result["engine_runs"] == 2
    assert result["drift"][0]["actual"] == {"type": "REG_SZ", "data": "N"}


def test_check_mode_reports_drift_and_never_applies(run_action, engine_with):
    engine = engine_with(None)
    result = run_action(ActionModule, {}, engine, check_mode=True)
    assert engine.actions == ["read"]
    assert result["changed"] is True and result["engine_runs"] == 1
    assert result["drift"][0]["actual"] is None


def test_diff_lists_before_and_after(run_action, engine_with):
    result = run_action(ActionModule, {}, engine_with("N"), check_mode=True, diff=True)
    assert result["diff"]["before"] == f"{OLE}\\EnableDCOM = REG_SZ:N\n"
    assert result["diff"]["after"] == f"{OLE}\\EnableDCOM = REG_SZ:Y\n"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"flag": "maybe"}, "flag"),
        ({"flag": "bad"}, "Invalid value for option 'flag': 'bad'"),
        ({"unknown": 1}, "unknown"),
    ],
)
def test_bad_input_fails_before_any_engine_run(run_action, engine_with, args, fragment):
    engine = engine_with("Y")
    result = run_action(ActionModule, args, engine)
    assert result["failed"] is True and fragment in result["msg"]
    assert engine.calls == [] and result["engine_runs"] == 0
    assert result["changed"] is False and result["drift"] == []


def test_host_that_cannot_comply_fails_after_the_read_only(run_action, engine_with):
    engine = engine_with("Y")
    result = run_action(ActionModule, {"flag": "refuse"}, engine)
    assert engine.actions == ["read"]
    assert result["failed"] is True and result["msg"] == "this host cannot comply"


def test_failed_read_is_reported(run_action, fake_engine):
    engine = fake_engine(
        {"failed": True, "msg": "Access is denied: HKLM:\\x", "error": "access_denied"}
    )
    result = run_action(ActionModule, {}, engine)
    assert result["failed"] is True and "Access is denied" in result["msg"]
    assert result["error"] == "access_denied"


def test_unknown_contract_version_is_refused(run_action, fake_engine, make_read):
    read = make_read(keys={OLE: []})
    read["contract_version"] = 1
    result = run_action(ActionModule, {}, fake_engine(read))
    assert result["failed"] is True and "contract version" in result["msg"]


def test_precondition_failure_is_not_a_change(run_action, engine_with):
    conflict = {
        "path": OLE,
        "name": "EnableDCOM",
        "expected": {"present": True},
        "actual": {"present": False},
    }
    engine = engine_with(
        "N",
        {
            "failed": True,
            "msg": "EnableDCOM changed",
            "error": "precondition",
            "conflicts": [conflict],
            "contract_version": 1,
        },
    )
    result = run_action(ActionModule, {}, engine)
    assert result["failed"] is True and result["changed"] is False
    assert result["conflicts"] == [conflict] and result["error"] == "precondition"
    assert result["msg"] == "Failed to apply 1 change(s): EnableDCOM changed"


def test_failed_rollback_is_reported_as_changed(run_action, engine_with):
    engine = engine_with("N", {"failed": True, "msg": "restore failed", "error": "rollback_failed"})
    result = run_action(ActionModule, {}, engine)
    assert result["failed"] is True and result["changed"] is True


LOCKED = {
    "failed": True,
    "msg": "Failed to access file: another process holds it open; retry later",
    "error": "file_locked",
    "retryable": True,
    "contract_version": 2,
}


class LockedFirst:
    """The engine answers file_locked to the first `times` runs of `action`, then as usual."""

    def __init__(self, engine, action: str, times: int) -> None:
        self.engine, self.action, self.times = engine, action, times

    def __call__(self, **kwargs):
        answer = self.engine(**kwargs)
        if self.engine.actions[-1] == self.action and self.times > 0:
            self.times -= 1
            return dict(LOCKED)
        return answer


@pytest.fixture
def pauses(monkeypatch):
    """The pauses between runs, recorded instead of slept."""
    slept = []
    monkeypatch.setattr(_engine_action, "time", SimpleNamespace(sleep=slept.append))
    return slept


@pytest.mark.parametrize("action", ["read", "apply"])
def test_a_locked_file_is_tried_again_after_a_pause(run_action, engine_with, pauses, action):
    engine = engine_with("N")
    result = run_action(ActionModule, {}, LockedFirst(engine, action, 2))
    assert "failed" not in result, result
    assert result["changed"] is True and result["engine_runs"] == 4
    assert engine.actions.count(action) == 3 and pauses == list(EngineAction.FILE_LOCK_PAUSES)
    if action == "apply":  # the same request each time: the lock changed nothing on the host
        applies = [c["module_args"] for c in engine.calls if c["module_args"]["action"] == "apply"]
        assert applies[0] == applies[1] == applies[2]
    assert any("locked" in warning and "3 times" in warning for warning in result["warnings"])


def test_a_file_still_locked_after_the_pauses_fails_retryable(run_action, engine_with, pauses):
    engine = engine_with("N")
    result = run_action(ActionModule, {}, LockedFirst(engine, "apply", 99))
    assert result["failed"] is True and result["changed"] is False
    assert result["error"] == "file_locked" and result["retryable"] is True
    assert engine.actions == ["read", "apply", "apply", "apply"] and len(pauses) == 2


def test_other_failures_are_not_tried_again(run_action, engine_with, pauses):
    engine = engine_with("N", {"failed": True, "msg": "x", "error": "write_failed"})
    result = run_action(ActionModule, {}, engine)
    assert result["failed"] is True and engine.actions == ["read", "apply"] and pauses == []


GPO = "DCOM Baseline"


def _gpo_engine(fake_engine, make_read, host_value, gpo_value, apply_result=None):
    read = make_read(
        keys={OLE: [("EnableDCOM", "REG_SZ", host_value)]},
        policy_sources=[(OLE, "EnableDCOM", "REG_SZ", gpo_value, GPO)],
    )
    return fake_engine(read, apply_result)


@pytest.mark.parametrize("check_mode", [False, True], ids=["run", "check-mode"])
def test_gpo_conflict_is_reported_and_warned_and_not_written(
    run_action, fake_engine, make_read, check_mode
):
    engine = _gpo_engine(fake_engine, make_read, "N", "N")
    result = run_action(ActionModule, {}, engine, check_mode=check_mode, diff=True)
    # The GPO would put N back at its next refresh: writing Y would only flap.
    assert engine.actions == ["read"]
    assert result["changed"] is False and result["engine_runs"] == 1
    assert result["gpo_conflicts"] == [
        {
            "setting": "dcom",
            "path": OLE,
            "name": "EnableDCOM",
            "gpo": GPO,
            "gpo_value": {"type": "REG_SZ", "data": "N"},
            "expected": {"type": "REG_SZ", "data": "Y"},
        }
    ]
    assert [item["name"] for item in result["drift"]] == ["EnableDCOM"]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert len(result["warnings"]) == 1
    assert GPO in result["warnings"][0] and "Not written" in result["warnings"][0]


def test_gpo_conflict_is_reported_on_a_host_that_holds_our_value_for_now(
    run_action, fake_engine, make_read
):
    # We wrote Y after the last refresh: compliant now, N again at the next refresh.
    result = run_action(ActionModule, {}, _gpo_engine(fake_engine, make_read, "Y", "N"))
    assert result["changed"] is False and result["drift"] == []
    assert [c["gpo"] for c in result["gpo_conflicts"]] == [GPO]


def test_a_gpo_that_agrees_is_neither_reported_nor_warned(run_action, fake_engine, make_read):
    result = run_action(ActionModule, {}, _gpo_engine(fake_engine, make_read, "N", "Y"))
    assert result["gpo_conflicts"] == [] and "warnings" not in result


@pytest.mark.parametrize(
    "args", [{"flag": "bad"}, {"flag": "refuse"}], ids=["bad-input", "cannot-comply"]
)
def test_gpo_conflicts_are_empty_when_the_task_fails_before_comparing(
    run_action, fake_engine, make_read, args
):
    result = run_action(ActionModule, args, _gpo_engine(fake_engine, make_read, "N", "N"))
    assert result["failed"] is True and result["gpo_conflicts"] == []
