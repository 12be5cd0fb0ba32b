"""Which emulation answers which module, without any network."""

from __future__ import annotations

import pytest
from _lab_helpers import engine_read, hostname_of

from winra_lab import dispatch
from winra_lab.labhost import LabHost
from winra_lab.payload import Invocation
from winra_lab.windows import profiles

OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"


@pytest.fixture
def host():
    return LabHost(
        "ws001.contoso.test", 1, "fresh", "127.0.0.2", 0, profiles.build("fresh", 1, "WS001")
    )


@pytest.mark.parametrize(
    ("asked", "fqcn"),
    [
        ("winra.remote_assistance.win_ra_state", dispatch.ENGINE),
        ("win_ra_state", dispatch.ENGINE),
        ("ansible.legacy.win_regedit", dispatch.REGEDIT),
        ("win_ping", dispatch.PING),
        ("ansible.windows.win_ping", dispatch.PING),
        ("community.windows.win_ping", None),
        ("ansible.windows.win_copy", None),
    ],
)
def test_canonical_names(asked, fqcn):
    assert dispatch.canonical_name(asked) == fqcn


def test_engine_runs_against_the_host_state(host):
    result = dispatch.run_module(host, Invocation(dispatch.ENGINE, engine_read([OLE])))
    assert hostname_of(result) == "WS001"
    assert host.counters.snapshot(0)["module_runs"] == {dispatch.ENGINE: 1}


def test_regedit_writes_and_check_mode_does_not(host):
    args = {"path": OLE, "name": "LabProbe", "data": "x", "type": "string"}
    checked = dispatch.run_module(host, Invocation(dispatch.REGEDIT, args, check_mode=True))
    assert checked["changed"] is True and host.state.registry.get_value(OLE, "LabProbe") is None
    applied = dispatch.run_module(host, Invocation("win_regedit", args))
    assert applied["changed"] is True and host.state.registry.get_value(OLE, "LabProbe").data == "x"
    counters = host.counters.snapshot(0)
    assert counters["module_runs"] == {dispatch.REGEDIT: 1}
    assert counters["check_mode_runs"] == {dispatch.REGEDIT: 1}


def test_unknown_module_fails_naming_it(host):
    result = dispatch.run_module(host, Invocation("ansible.windows.win_copy", {}))
    assert result["failed"] is True
    assert "ansible.windows.win_copy" in result["msg"] and "runs no PowerShell" in result["msg"]


def test_an_emulation_bug_becomes_a_module_failure(host, monkeypatch):
    def broken(_state, _invocation):
        raise RuntimeError("boom")

    monkeypatch.setitem(dispatch.HANDLERS, dispatch.PING, broken)
    result = dispatch.run_module(host, Invocation(dispatch.PING, {}))
    assert result["failed"] is True and "RuntimeError: boom" in result["msg"]
