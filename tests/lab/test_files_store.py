"""The lab's file store and the engine's file primitives (read, replace_file) on it."""

from __future__ import annotations

import base64
import hashlib

import pytest

from winra_lab.windows.engine_files import (
    FileContractError,
    apply_file_changes,
    read_files,
)
from winra_lab.windows.files import (
    FileFaults,
    FileLocked,
    FilePathError,
    FileStore,
    FileWriteInterrupted,
    normalise,
)
from winra_lab.windows.hoststate import HostState

POL = "C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol"
INI = "C:\\Windows\\System32\\GroupPolicy\\gpt.ini"
OLD_POL = b"PReg\x01\x00\x00\x00old"
NEW_POL = b"PReg\x01\x00\x00\x00new records"
NEW_INI = b"[General]\r\nVersion=2\r\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def replace(path: str, data: bytes, before: bytes | None) -> dict:
    expect = {"present": False} if before is None else {"present": True, "sha256": sha(before)}
    return {"op": "replace_file", "path": path, "data": b64(data), "expect": expect}


@pytest.fixture
def store() -> FileStore:
    files = FileStore()
    files.seed(POL, OLD_POL)
    return files


# -- the store ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "c:\\windows\\system32\\grouppolicy\\machine\\registry.pol",
        "C:/Windows/System32/GroupPolicy/Machine/Registry.pol",
        "%SystemRoot%\\System32\\GroupPolicy\\Machine\\REGISTRY.POL",
        "%windir%\\System32\\GroupPolicy\\Machine\\Registry.pol",
    ],
)
def test_paths_compare_case_insensitively_and_keep_their_stored_case(store, spelling):
    assert store.read(spelling) == OLD_POL
    assert store.stored_path(spelling) == POL


@pytest.mark.parametrize("bad", ["", "Registry.pol", "C:\\a\\..\\b", "C:\\a\\\\b", "C:\\a?b", 5])
def test_relative_or_odd_paths_are_refused(bad):
    with pytest.raises(FilePathError):
        normalise(bad)


def test_seed_is_not_a_write_and_write_is(store):
    assert store.writes == 0
    store.write(INI, NEW_INI)
    assert store.writes == 1 and store.read(INI) == NEW_INI


def test_a_locked_file_fails_n_times_then_opens(store):
    store.faults = FileFaults.from_json({"locked": {POL.lower(): 2}})
    for _ in range(2):
        with pytest.raises(FileLocked, match="being used by another process"):
            store.read(POL)
    assert store.read(POL) == OLD_POL


def test_a_torn_write_keeps_only_the_first_bytes_and_fails(store):
    store.faults = FileFaults.from_json({"torn_write": {POL: 5}})
    with pytest.raises(FileWriteInterrupted):
        store.write(POL, NEW_POL)
    assert store.peek(POL) == NEW_POL[:5]
    store.write(POL, NEW_POL)  # the fault happens once
    assert store.peek(POL) == NEW_POL


def test_replace_is_one_step_and_keeps_a_backup(store):
    store.write(POL + ".tmp", NEW_POL)
    store.replace(POL + ".tmp", POL, POL + ".bak")
    assert store.peek(POL) == NEW_POL and store.peek(POL + ".bak") == OLD_POL
    assert not store.exists(POL + ".tmp")


def test_faults_validate_and_the_store_survives_a_save(store):
    with pytest.raises(ValueError, match="unknown file fault"):
        FileFaults.from_json({"lock": [POL]})
    with pytest.raises(ValueError, match="torn_write"):
        FileFaults.from_json({"torn_write": {POL: -1}})
    store.faults = FileFaults.from_json({"locked": [INI]})
    again = FileStore.from_json(store.to_json())
    assert again.peek(POL) == OLD_POL and again.paths() == [POL]
    assert again.faults.locked == {INI.casefold(): None}


def test_host_state_carries_its_files_through_a_save():
    state = HostState.from_json({"hostname": "WS001", "files": FileStore().to_json()})
    state.files.seed(POL, OLD_POL)
    assert HostState.from_json(state.to_json()).files.peek(POL) == OLD_POL


# -- read --------------------------------------------------------------------------------------


def test_read_returns_bytes_and_hash_of_each_file_in_order(store):
    answer = read_files(store, [POL.upper(), INI])
    assert answer == [
        {
            "path": POL,
            "exists": True,
            "size": len(OLD_POL),
            "sha256": sha(OLD_POL),
            "data": b64(OLD_POL),
        },
        {"path": INI, "exists": False, "size": 0, "sha256": None, "data": None},
    ]


def test_read_of_a_locked_file_is_a_retryable_file_locked_error(store):
    store.faults = FileFaults.from_json({"locked": [POL]})
    with pytest.raises(FileContractError) as caught:
        read_files(store, [POL])
    assert caught.value.kind == "file_locked" and caught.value.retryable


# -- replace_file ------------------------------------------------------------------------------


def test_replace_writes_both_files_in_order_keeping_backups(store):
    result = apply_file_changes(
        store, [replace(POL, NEW_POL, OLD_POL), replace(INI, NEW_INI, None)]
    )
    assert result["applied"] == 2 and result["changed"] and result["conflicts"] == []
    assert [f["path"] for f in result["files"]] == [POL, INI]
    assert store.peek(POL) == NEW_POL and store.peek(POL + ".bak") == OLD_POL
    assert store.peek(INI) == NEW_INI and not store.exists(INI + ".bak")
    assert [p for p in store.paths() if "tmp" in p] == []


def test_a_changed_hash_is_a_precondition_error_and_nothing_is_written(store):
    store.seed(POL, b"PReg\x01\x00\x00\x00someone else")
    before = store.writes
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(store, [replace(INI, NEW_INI, None), replace(POL, NEW_POL, OLD_POL)])
    error = caught.value
    assert error.kind == "precondition" and error.retryable
    assert error.conflicts[0]["path"] == POL
    assert error.result()["applied"] == 0 and not error.result()["changed"]
    assert store.writes == before and not store.exists(INI)


def test_a_file_that_appeared_fails_an_expect_absent(store):
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(store, [replace(POL, NEW_POL, None)])
    assert caught.value.conflicts[0]["actual"] == {"present": True, "sha256": sha(OLD_POL)}


def test_a_locked_target_is_file_locked_and_the_previous_file_is_intact(store):
    store.faults = FileFaults.from_json({"locked": [POL]})
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(store, [replace(POL, NEW_POL, OLD_POL)])
    assert caught.value.kind == "file_locked" and caught.value.retryable
    assert store.peek(POL) == OLD_POL


def test_a_torn_temporary_file_never_reaches_the_target(store):
    store.faults = FileFaults.from_json({"torn_write": {POL: 9}})
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(store, [replace(POL, NEW_POL, OLD_POL)])
    assert caught.value.kind == "write_failed" and caught.value.retryable
    assert store.peek(POL) == OLD_POL
    assert store.paths() == [POL]  # the temporary file was removed


def test_a_failure_on_the_second_file_puts_the_first_back(store):
    store.seed(INI, b"[General]\r\nVersion=1\r\n")
    store.faults = FileFaults.from_json({"torn_write": {INI: 3}})
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(
            store,
            [replace(POL, NEW_POL, OLD_POL), replace(INI, NEW_INI, b"[General]\r\nVersion=1\r\n")],
        )
    assert caught.value.kind == "write_failed" and caught.value.rolled_back
    assert store.peek(POL) == OLD_POL and store.peek(INI) == b"[General]\r\nVersion=1\r\n"


def test_check_mode_checks_and_writes_nothing(store):
    result = apply_file_changes(store, [replace(POL, NEW_POL, OLD_POL)], check_mode=True)
    assert result["changed"] and result["applied"] == 0
    assert store.writes == 0 and store.peek(POL) == OLD_POL


@pytest.mark.parametrize(
    "change",
    [
        {"op": "replace_file", "path": POL, "data": "***", "expect": {"present": False}},
        {"op": "replace_file", "path": POL, "data": "", "expect": {"present": True}},
        {
            "op": "replace_file",
            "path": POL,
            "data": "",
            "expect": {"present": True, "sha256": "AB"},
        },
        {"op": "replace_file", "path": POL, "data": ""},
        {"op": "replace_file", "path": "Registry.pol", "data": "", "expect": {"present": False}},
        {"op": "set_value", "path": POL, "data": "", "expect": {"present": False}},
    ],
)
def test_malformed_changes_are_bad_requests_and_nothing_is_written(store, change):
    with pytest.raises(FileContractError) as caught:
        apply_file_changes(store, [change])
    assert caught.value.kind == "bad_request" and not caught.value.retryable
    assert store.writes == 0


def test_two_changes_of_one_file_are_a_bad_request(store):
    with pytest.raises(FileContractError, match="same file"):
        apply_file_changes(
            store, [replace(POL, NEW_POL, OLD_POL), replace(POL.lower(), NEW_POL, OLD_POL)]
        )
