"""The engine runs files and registry changes in one request: read both, apply all or nothing."""

from __future__ import annotations

import base64
import hashlib

from winra_lab.windows.engine import run_engine
from winra_lab.windows.hoststate import HostState

POL = "C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol"
INI = "C:\\Windows\\System32\\GroupPolicy\\gpt.ini"
TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLD_POL = b"PReg\x01\x00\x00\x00"
NEW_POL = b"PReg\x01\x00\x00\x00[new]"
NEW_INI = b"[General]\r\nVersion=1\r\n"


def state() -> HostState:
    host = HostState.from_json(
        {
            "hostname": "WS001",
            "registry": {TS: {"fAllowUnsolicited": {"type": "REG_DWORD", "data": 0}}},
        }
    )
    host.files.seed(POL, OLD_POL)
    return host


def replace(path, data, before):
    expect = {"present": False} if before is None else {
        "present": True, "sha256": hashlib.sha256(before).hexdigest()}  # fmt: skip
    return {"op": "replace_file", "path": path, "data": base64.b64encode(data).decode(),
            "expect": expect}  # fmt: skip


def set_allow(data, expect_data):
    return {"op": "set_value", "path": TS, "name": "fAllowUnsolicited", "type": "REG_DWORD",
            "data": data, "expect": {"present": True, "type": "REG_DWORD", "data": expect_data}}  # fmt: skip


CHANGES = [replace(POL, NEW_POL, OLD_POL), replace(INI, NEW_INI, None), set_allow(1, 0)]


def allow(host):
    return host.registry.get_value(TS, "fAllowUnsolicited").data


def test_read_returns_registry_and_files_in_one_request():
    result = run_engine(state(), {"action": "read", "keys": [TS], "files": [POL, INI]}, False)
    assert not result.get("failed"), result
    assert [k["path"] for k in result["keys"]] == [TS]
    assert [(f["exists"], f["size"]) for f in result["files"]] == [(True, 8), (False, 0)]


def test_a_read_without_files_is_unchanged():
    result = run_engine(state(), {"action": "read", "keys": [TS]}, False)
    assert "files" not in result


def test_a_locked_file_fails_the_read_retryably():
    host = state()
    host.files.faults.locked = {POL.casefold(): 1}
    result = run_engine(host, {"action": "read", "keys": [TS], "files": [POL]}, False)
    assert result["failed"] and result["error"] == "file_locked" and result["retryable"]


def test_apply_writes_files_then_registry():
    host = state()
    result = run_engine(host, {"action": "apply", "changes": CHANGES}, False)
    assert not result.get("failed"), result
    assert result["applied"] == 3 and [f["path"] for f in result["files"]] == [POL, INI]
    assert host.files.peek(POL) == NEW_POL and host.files.peek(INI) == NEW_INI
    assert allow(host) == 1 and host.registry.writes == 1


def test_check_mode_writes_nothing():
    host = state()
    result = run_engine(host, {"action": "apply", "changes": CHANGES}, True)
    assert result["changed"] and not result.get("failed")
    assert host.files.writes == 0 and host.registry.writes == 0
    assert host.files.peek(POL) == OLD_POL


def test_a_registry_conflict_writes_no_file():
    host = state()
    changes = [replace(POL, NEW_POL, OLD_POL), set_allow(1, 7)]
    result = run_engine(host, {"action": "apply", "changes": changes}, False)
    assert result["error"] == "precondition"
    assert host.files.writes == 0 and host.files.peek(POL) == OLD_POL


def test_a_file_conflict_writes_no_registry_value():
    host = state()
    changes = [replace(POL, NEW_POL, b"something else"), set_allow(1, 0)]
    result = run_engine(host, {"action": "apply", "changes": changes}, False)
    assert result["error"] == "precondition" and result["retryable"]
    assert host.registry.writes == 0 and allow(host) == 0


def test_a_failed_registry_write_puts_the_files_back():
    host = state()
    host.faults.fail_write_after = 0
    result = run_engine(host, {"action": "apply", "changes": CHANGES}, False)
    assert result["failed"] and result["error"] == "write_failed" and result["rolled_back"]
    assert "put back" in result["msg"]
    assert host.files.peek(POL) == OLD_POL and host.files.peek(INI) is None
    assert allow(host) == 0


def test_a_torn_file_write_leaves_everything_as_it_was():
    host = state()
    host.files.faults.torn_write = {INI.casefold(): 3}
    result = run_engine(host, {"action": "apply", "changes": CHANGES}, False)
    assert result["failed"] and result["error"] == "write_failed" and result["retryable"]
    assert host.files.peek(POL) == OLD_POL and host.files.peek(INI) is None
    assert host.registry.writes == 0 and allow(host) == 0
