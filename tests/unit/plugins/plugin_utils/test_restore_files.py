"""A restore of the Local Group Policy files: the rollout's records undone in the Registry.pol
the host holds now, gpt.ini's version raised, compare-and-swap on this read."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _gpt_ini,
    _local_gpo,
    _preg,
    _snapshot,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import HostStateError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    GPT_INI,
    MACHINE_POL,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._restore_files import (
    SnapshotFiles,
)

DESK = "CONTOSO\\Helpdesk"
UPDATES = _preg.value_record(
    "Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU", "NoAutoUpdate", "REG_DWORD", 1
)
LATER = _preg.value_record("Software\\Policies\\Vendor", "Later", "REG_SZ", "x")
DISABLED = _local_gpo.offer_records(_local_gpo.OfferPolicy("disabled"))
ENABLED = _local_gpo.offer_records(_local_gpo.OfferPolicy("enabled", True, (DESK,)))
INI = b"[General]\r\ngPCMachineExtensionNames=\r\nVersion=7\r\n"


def pol(*records) -> bytes:
    return _preg.write(records)


def file_json(path: str, data: bytes | None) -> dict:
    if data is None:
        return {"path": path, "exists": False, "sha256": None, "data": None}
    digest = hashlib.sha256(data).hexdigest()
    return {"path": path, "exists": True, "sha256": digest, "data": base64.b64encode(data).decode()}


def snapshot(prior_pol: bytes | None, rolled_out: bytes, prior_ini: bytes | None = INI) -> dict:
    """What a rollout that replaced both files keeps (the same functions a rollout uses)."""
    read = {"files": [file_json(MACHINE_POL, prior_pol), file_json(GPT_INI, prior_ini)]}
    before = _snapshot.state_from_read(read, files=[MACHINE_POL, GPT_INI])
    changes = [
        {"op": "replace_file", "path": MACHINE_POL, "data": file_json("", rolled_out)["data"]},
        {
            "op": "replace_file",
            "path": GPT_INI,
            "data": file_json("", _gpt_ini.updated(prior_ini))["data"],
        },
    ]
    return _snapshot.document("ws1", before, _snapshot.after_changes(before, changes), "T")


def host_now(pol_bytes: bytes | None, ini: bytes | None) -> dict:
    return {"files": [file_json(MACHINE_POL, pol_bytes), file_json(GPT_INI, ini)]}


def written(changes: list) -> dict:
    return {c["path"]: base64.b64decode(c["data"]) for c in changes}


def test_a_file_as_the_rollout_left_it_gets_its_prior_records_and_a_higher_version():
    snap = snapshot(pol(UPDATES, *DISABLED), pol(UPDATES, *ENABLED))
    rolled_ini = _gpt_ini.updated(INI)
    files = SnapshotFiles(snap, host_now(pol(UPDATES, *ENABLED), rolled_ini), "ws1")
    assert files.changed_since_rollout() == []
    changes, drift = files.changes()
    assert [c["path"] for c in changes] == [MACHINE_POL, GPT_INI], "Registry.pol first"
    assert written(changes)[MACHINE_POL] == pol(UPDATES, *DISABLED)
    # Never the old gpt.ini: its version goes up from what the host holds now.
    assert _gpt_ini.version_of(written(changes)[GPT_INI]) > _gpt_ini.version_of(rolled_ini)
    now_sha = hashlib.sha256(pol(UPDATES, *ENABLED)).hexdigest()
    assert changes[0]["expect"] == {"present": True, "sha256": now_sha}
    assert changes[1]["expect"]["sha256"] == hashlib.sha256(rolled_ini).hexdigest()
    names = {item["name"] for item in drift}
    assert f"{_local_gpo.RA_UNSOLICIT}\\{DESK}" in names and not any(
        "WindowsUpdate" in n for n in names
    )


def test_a_file_the_rollout_created_ends_empty_and_gpt_ini_stays():
    snap = snapshot(None, pol(*ENABLED), prior_ini=None)
    rolled_ini = _gpt_ini.updated(None)
    changes = SnapshotFiles(snap, host_now(pol(*ENABLED), rolled_ini), "ws1").changes()[0]
    assert written(changes)[MACHINE_POL] == pol(), "an empty policy file: its header only"
    assert changes[0]["expect"]["present"] is True
    assert _gpt_ini.version_of(written(changes)[GPT_INI]) > _gpt_ini.version_of(rolled_ini)


def test_records_others_added_since_the_rollout_stay_and_do_not_stop_the_restore():
    snap = snapshot(pol(UPDATES), pol(UPDATES, *ENABLED))
    now = pol(LATER, UPDATES, *ENABLED)
    files = SnapshotFiles(snap, host_now(now, _gpt_ini.updated(INI)), "ws1")
    assert files.changed_since_rollout() == []
    changes = files.changes()[0]
    assert written(changes)[MACHINE_POL] == pol(LATER, UPDATES)


def test_a_removed_record_comes_back_where_the_rollouts_records_were():
    snap = snapshot(pol(UPDATES, *DISABLED, LATER), pol(UPDATES, *ENABLED, LATER))
    now = pol(LATER, UPDATES, *ENABLED)  # someone reordered the file since
    files = SnapshotFiles(snap, host_now(now, INI), "ws1")
    restored = files.restored_records()
    assert restored == (LATER, UPDATES, *DISABLED)


def test_a_record_the_rollout_wrote_and_someone_removed_is_a_change_since_the_rollout():
    snap = snapshot(pol(UPDATES), pol(UPDATES, *ENABLED))
    now = pol(UPDATES, *ENABLED[:-1])  # the helper's record is gone
    [found] = SnapshotFiles(snap, host_now(now, INI), "ws1").changed_since_rollout()
    assert found["path"] == MACHINE_POL
    assert found["name"] == f"{_local_gpo.RA_UNSOLICIT}\\{DESK}"
    assert found["expected"] == {"type": "REG_SZ", "data": DESK} and found["actual"] is None


def test_nothing_to_undo_writes_nothing():
    snap = snapshot(pol(UPDATES), pol(UPDATES, *ENABLED))
    assert SnapshotFiles(snap, host_now(pol(UPDATES), INI), "ws1").changes() == ([], [])
    snap = snapshot(None, pol(*ENABLED))
    assert SnapshotFiles(snap, host_now(None, INI), "ws1").changes() == ([], [])


def test_a_host_file_that_does_not_parse_stops_the_restore_naming_host_and_file():
    snap = snapshot(pol(UPDATES), pol(UPDATES, *ENABLED))
    with pytest.raises(HostStateError, match=r"ws1.*Registry\.pol"):
        SnapshotFiles(snap, host_now(b"PReg\x01\x00\x00\x00[broken", INI), "ws1")


def test_a_snapshot_without_the_files_plans_no_file_change():
    snap = _snapshot.document("ws1", *[{"keys": [], "firewall_rules": [], "files": []}] * 2, "T")
    files = SnapshotFiles(snap, {"files": []}, "ws1")
    assert files.changed_since_rollout() == [] and files.changes() == ([], [])
