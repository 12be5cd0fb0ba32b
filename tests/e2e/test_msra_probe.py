"""The functional check asks whether msra.exe exists, never for its bytes: a check-mode run of
the role on an enabled host gets an engine answer with no file data for the program (counted
against the same read asking `files`, as it did before), and a running Remote Assistance
session, which holds msra.exe open, does not fail the run."""

from __future__ import annotations

import base64
import json

import pytest
from e2e_support import run_playbook, writes

from winra_lab import dispatch
from winra_lab.windows import profiles
from winra_lab.windows.engine import encode_request, run_engine

pytestmark = pytest.mark.e2e

MSRA = "%SystemRoot%\\System32\\msra.exe"  # as the controller asks for it
PLAYBOOK = """
- name: The role in check mode
  hosts: windows
  gather_facts: false
  roles:
    - role: winra.remote_assistance.offer_remote_assistance
"""


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["compliant"])


@pytest.fixture
def engine_calls(monkeypatch):
    """Every engine run the lab answers: (request document, result), as the host sent it."""
    calls = []
    answer = dispatch.HANDLERS[dispatch.ENGINE]

    def recording(state, invocation):
        result = answer(state, invocation)
        calls.append((json.loads(base64.b64decode(invocation.args["request"])), result))
        return result

    monkeypatch.setitem(dispatch.HANDLERS, dispatch.ENGINE, recording)
    return calls


def msra_file_bytes(result: dict) -> int:
    """Bytes of msra.exe's data (base64) in a read answer's `files`."""
    return sum(
        len(item.get("data") or "")
        for item in result.get("files") or []
        if item["path"].lower().endswith("\\msra.exe")
    )


def check_run(lab, tmp_path) -> None:
    playbook = tmp_path / "role-check.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    run = run_playbook(str(playbook), lab.inventory, tmp_path, extra_args=("--check",))
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap and not run.failed_hosts(), run.output[-4000:]


def probe_reads(calls: list) -> list:
    reads = [(request, result) for request, result in calls if request["action"] == "read"]
    probing = [(request, result) for request, result in reads if MSRA in request.get("exists", [])]
    assert probing, f"no read probed msra.exe: {[request for request, _ in reads]}"
    return probing


def test_the_read_carries_no_byte_of_msra(lab, tmp_path, engine_calls):
    lab.client.reset()
    host = lab.names[0]
    check_run(lab, tmp_path)

    for request, result in probe_reads(engine_calls):
        assert MSRA not in request.get("files", []), request
        assert "failed" not in result, result
        assert result["exists"] == [{"path": MSRA, "exists": True}]
        assert msra_file_bytes(result) == 0
        assert base64.b64encode(profiles.MSRA_STAND_IN).decode() not in json.dumps(result)
        # The same read as it was sent before `exists`: the program comes back whole.
        before = {**request, "files": [*request.get("files", []), MSRA]}
        before.pop("exists")
        old = run_engine(profiles.build("compliant", 1, "H1"), encode_request(before), True)
        assert msra_file_bytes(old) == len(base64.b64encode(profiles.MSRA_STAND_IN)) > 0
    assert writes(lab.client.counters(host)) == 0


def test_a_running_remote_assistance_session_does_not_fail_the_run(lab, tmp_path, engine_calls):
    lab.client.reset()
    host = lab.names[0]
    lab.client.set_file_faults(host, locked={profiles.MSRA: None})  # held open, every access
    try:
        check_run(lab, tmp_path)
        for _request, result in probe_reads(engine_calls):
            assert "failed" not in result and result["exists"][0]["exists"] is True, result
    finally:
        lab.client.clear_faults(host)
    assert lab.client.file_bytes(host, profiles.MSRA) == profiles.MSRA_STAND_IN
    assert writes(lab.client.counters(host)) == 0
