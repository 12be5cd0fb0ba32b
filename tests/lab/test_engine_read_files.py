"""The lab engine's `read` with `files` and `exists` (docs/engine-contract.md, section "Files")
and the Remote Assistance program every profile but a server without the feature has."""

from __future__ import annotations

import pytest

from winra_lab.windows import profiles
from winra_lab.windows.engine import encode_request, run_engine
from winra_lab.windows.files import FileFaults

MSRA = "%SystemRoot%\\System32\\msra.exe"


def read(state, files=None, exists=None) -> dict:
    """A contract-2 read of no key; `files` and `exists` are the optional fields."""
    request = {"action": "read", "keys": [], "accounts": [], "firewall_rules": [],
               "policy_sources": False}  # fmt: skip
    if files is not None:
        request["files"] = files
    if exists is not None:
        request["exists"] = exists
    return run_engine(state, encode_request(request), False)


@pytest.mark.parametrize("profile", sorted(profiles.PROFILES))
def test_msra_exists_except_on_a_server_without_remote_assistance(profile):
    state = profiles.build(profile, 1, "H1")
    result = read(state, exists=[MSRA])
    assert "failed" not in result and "files" not in result, result
    assert result["exists"] == [{"path": MSRA, "exists": profile != "server-no-ra"}]
    # The probe agrees with the lab's own file store.
    assert (state.files.peek("C:\\Windows\\System32\\msra.exe") is not None) is (
        profile != "server-no-ra"
    )


def test_a_read_without_files_has_no_files_key():
    result = read(profiles.build("fresh", 1, "H1"))
    assert "files" not in result and "failed" not in result


def test_a_bad_file_path_is_a_bad_request():
    state = profiles.build("fresh", 1, "H1")
    result = read(state, ["msra.exe"])
    assert result["failed"] is True and result["error"] == "bad_request"


def test_a_locked_file_fails_the_read():
    state = profiles.build("fresh", 1, "H1")
    state.files.faults = FileFaults.from_json({"locked": {"C:\\Windows\\System32\\msra.exe": 1}})
    result = read(state, [MSRA])
    assert result["failed"] is True and result["error"] == "file_locked"


def test_a_program_in_use_is_probed_without_error():
    # msra.exe held open by a running Remote Assistance session: File.Exists opens nothing.
    state = profiles.build("fresh", 1, "H1")
    state.files.faults = FileFaults.from_json({"locked": ["C:\\Windows\\System32\\msra.exe"]})
    result = read(state, exists=[MSRA])
    assert "failed" not in result and result["exists"] == [{"path": MSRA, "exists": True}]
    assert read(state, [MSRA])["error"] == "file_locked"  # the lock is still there for reads


def test_a_bad_probe_path_is_a_bad_request():
    result = read(profiles.build("fresh", 1, "H1"), exists=["System32\\msra.exe"])
    assert result["failed"] is True and result["error"] == "bad_request"
    assert "exists" in result["msg"] and "System32\\msra.exe" in result["msg"]
