"""Local Group Policy through the control API, ControlClient and `dump --file`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    DesiredPolicy,
    OfferPolicy,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_merge import plan
from winra_lab.client import RUN_FILE, ControlCallError
from winra_lab.lab import Lab
from winra_lab.windows.group_policy import MACHINE_POL

pytestmark = pytest.mark.lab
TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
ENABLED = DesiredPolicy(offer=OfferPolicy("enabled", control=False, helpers=("CONTOSO\\Helpdesk",)))


@pytest.fixture(scope="module")
def lab():
    with Lab(hosts=1, profile="local-gpo-others") as running:
        yield running


@pytest.fixture(autouse=True)
def fresh_host(lab):
    lab.client.reset()
    yield


def _merged(client) -> bytes:
    current = client.file_bytes("ws001", MACHINE_POL)
    return _preg.write(plan(_preg.parse(current).records, ENABLED).records)


def test_seeded_file_is_readable_and_refresh_applies_a_new_one_as_someone_else(lab):
    client = lab.client
    listing = client.files("ws001")
    assert MACHINE_POL in [f["path"] for f in listing["files"]] and listing["writes"] == 0
    client.put_file("ws001", MACHINE_POL, _merged(client))
    answer = client.gp_refresh("ws001")
    assert answer["local_policy"]["local_policy"] == "applied"
    assert answer["applied"] == 0  # no domain GPO values on this host
    assert client.value("ws001", TS, "fAllowUnsolicited")["data"] == 1
    assert client.value("ws001", TS, "fAllowUnsolicitedFullControl")["data"] == 0
    assert client.value("ws001", TS, "fDisableCdm")["data"] == 1  # someone else's policy stays
    assert client.counters("ws001")["registry_writes"] == 0
    assert client.files("ws001")["writes"] == 0  # a seeded file is not a module write


def test_a_deleted_live_value_comes_back_after_a_refresh(lab):
    client = lab.client
    client.put_file("ws001", MACHINE_POL, _merged(client))
    client.gp_refresh("ws001")
    client.edit_registry("ws001", [{"op": "delete", "path": TS, "name": "fAllowUnsolicited"}])
    assert client.value("ws001", TS, "fAllowUnsolicited")["present"] is False
    client.gp_refresh("ws001")
    assert client.value("ws001", TS, "fAllowUnsolicited")["data"] == 1


def test_file_faults_are_set_shown_and_cleared(lab):
    client = lab.client
    faults = client.set_file_faults("ws001", locked={MACHINE_POL: 2}, torn_write={MACHINE_POL: 10})
    assert faults == {
        "locked": {MACHINE_POL.casefold(): 2},
        "torn_write": {MACHINE_POL.casefold(): 10},
    }
    assert client.files("ws001")["faults"]["locked"] == {MACHINE_POL.casefold(): 2}
    client.clear_faults("ws001")
    assert client.files("ws001")["faults"] == {"locked": {}, "torn_write": {}}


def test_bad_file_requests_are_refused_with_400(lab):
    client = lab.client
    with pytest.raises(ControlCallError) as caught:
        client.call("PUT", "/hosts/ws001/files", {"path": MACHINE_POL, "data": "***"})
    assert caught.value.status == 400
    with pytest.raises(ControlCallError) as caught:
        client.file("ws001", "Registry.pol")
    assert caught.value.status == 400
    with pytest.raises(ControlCallError) as caught:
        client.call("POST", "/hosts/ws001/file-faults", {"locked": {MACHINE_POL: 0}})
    assert caught.value.status == 400


def test_dump_file_writes_the_raw_bytes_to_stdout(lab, tmp_path):
    (tmp_path / RUN_FILE).write_text(json.dumps({"control_url": lab.control_url}), "utf-8")
    args = [sys.executable, "-m", "winra_lab", "--run-dir", str(tmp_path), "dump", "ws001"]
    done = subprocess.run(
        [*args, "--file", "c:\\windows\\system32\\GroupPolicy\\Machine\\Registry.pol"],
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert done.stdout == lab.client.file_bytes("ws001", MACHINE_POL)
    assert done.stdout.startswith(b"PReg\x01\x00\x00\x00")
    missing = subprocess.run(
        [*args, "--file", "C:\\nope.txt"], capture_output=True, timeout=60, check=False
    )
    assert missing.returncode == 1 and b"no file" in missing.stderr and missing.stdout == b""
