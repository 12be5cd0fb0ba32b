"""The lab's ansible.windows.win_reg_stat: the module's documented results, and no writes."""

import pytest

from winra_lab import dispatch
from winra_lab.labhost import LabHost
from winra_lab.payload import Invocation
from winra_lab.windows import profiles
from winra_lab.windows.hoststate import HostState
from winra_lab.windows.reg_stat import run_reg_stat

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"


@pytest.fixture
def state():
    return HostState.from_json(
        {
            "hostname": "WS001",
            "registry": {
                TS: {
                    "fAllowUnsolicited": {"type": "REG_DWORD", "data": 4294967295},
                    "Big": {"type": "REG_QWORD", "data": 2**64 - 1},
                    "Note": {"type": "REG_SZ", "data": "Remote Assistance \u2013 Voice"},
                    "Path": {"type": "REG_EXPAND_SZ", "data": "%SystemRoot%\\x;%NOSUCH%"},
                    "Multi": {"type": "REG_MULTI_SZ", "data": ["One", "two"]},
                    "Blob": {"type": "REG_BINARY", "data": "01ff"},
                    "Nothing": {"type": "REG_NONE", "data": ""},
                    "": {"type": "REG_SZ", "data": "default"},
                },
                TS + "\\Zeta": {},
                TS + "\\alpha": {},
            },
        }
    )


def stat(host, **args):
    return run_reg_stat(host, args)


def test_a_value_reports_type_value_and_raw_value(state):
    assert stat(state, path=TS, name="fallowunsolicited") == {
        "changed": False,
        "exists": True,
        "type": "REG_DWORD",
        "value": 4294967295,
        "raw_value": 4294967295,
    }


@pytest.mark.parametrize(
    ("name", "value", "raw_value"),
    [
        ("Big", 2**64 - 1, 2**64 - 1),
        ("Note", "Remote Assistance \u2013 Voice", "Remote Assistance \u2013 Voice"),
        ("Path", "C:\\Windows\\x;%NOSUCH%", "%SystemRoot%\\x;%NOSUCH%"),
        ("Multi", ["One", "two"], ["One", "two"]),
        ("Blob", [1, 255], ["0x01", "0xff"]),
        ("Nothing", [], []),
    ],
)
def test_each_type_is_returned_as_the_module_returns_it(state, name, value, raw_value):
    result = stat(state, path=TS, name=name)
    assert (result["value"], result["raw_value"]) == (value, raw_value)


def test_a_missing_value_or_key_does_not_exist(state):
    assert stat(state, path=TS, name="nope") == {"changed": False, "exists": False}
    assert stat(state, path=TS + "\\Nope") == {"changed": False, "exists": False}
    assert stat(state, path=TS + "\\Nope", name="x") == {"changed": False, "exists": False}


def test_a_key_lists_its_properties_default_value_and_sorted_sub_keys(state):
    result = stat(state, key=TS.lower())
    assert result["exists"] is True
    assert result["sub_keys"] == ["alpha", "Zeta"]
    assert result["properties"][""] == {
        "type": "REG_SZ",
        "value": "default",
        "raw_value": "default",
    }
    assert result["properties"]["Blob"]["raw_value"] == ["0x01", "0xff"]
    assert len(result["properties"]) == 8


def test_an_empty_key_has_no_properties(state):
    assert stat(state, path=TS + "\\Zeta") == {
        "changed": False,
        "exists": True,
        "properties": {},
        "sub_keys": [],
    }


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("SOFTWARE\\x", "is not a valid registry path"),
        ("HKCU:\\Software", "a hive the lab does not emulate"),
        ("HKLM:\\SOFTWARE\\\\Microsoft", "has an empty key name"),
    ],
)
def test_bad_paths_fail_naming_the_path(state, path, message):
    result = stat(state, path=path)
    assert result["failed"] is True
    assert path in result["msg"] and message in result["msg"]


def test_path_is_required(state):
    assert "path" in stat(state, name="x")["msg"]


def test_reading_writes_nothing_and_runs_through_dispatch():
    host = LabHost(
        "ws001.contoso.test", 1, "compliant", "127.0.0.2", 0,
        profiles.build("compliant", 1, "WS001"),
    )  # fmt: skip
    writes = host.state.registry.writes
    result = dispatch.run_module(host, Invocation("ansible.windows.win_reg_stat", {"path": TS}))
    assert result["exists"] is True and result["properties"]["fAllowUnsolicited"]["value"] == 1
    assert dispatch.canonical_name("win_reg_stat") == dispatch.REG_STAT
    assert host.state.registry.writes == writes
    assert host.counters.snapshot(0)["module_runs"] == {dispatch.REG_STAT: 1}
