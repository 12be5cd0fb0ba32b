"""Wire faults, injected through the control API, as a WinRM client experiences them."""

from __future__ import annotations

import pytest
import requests
from _lab_helpers import engine_read, protocol, run_module
from winrm.exceptions import WinRMTransportError

from winra_lab.client import ControlCallError
from winra_lab.lab import Lab

pytestmark = pytest.mark.lab
PING = "ansible.windows.win_ping"


@pytest.fixture
def lab():
    with Lab(hosts=2) as running:
        yield running


def test_refused_connections_really_refuse_and_clear_reopens(lab):
    lab.control("POST", "/hosts/ws001/faults", {"refuse_connections": True})
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        protocol(lab, "ws001").open_shell()
    assert "refused" in str(caught.value).lower()
    # The other host is untouched.
    assert run_module(protocol(lab, "ws002"), PING, {})[1] == 0
    assert [h["listening"] for h in lab.control("GET", "/hosts")] == [False, True]
    lab.control("DELETE", "/hosts/ws001/faults")
    assert run_module(protocol(lab, "ws001"), PING, {})[0]["ping"] == "pong"


def test_drop_mid_command_loses_the_answer_but_the_command_ran(lab):
    lab.control("POST", "/hosts/ws001/faults", {"drop_connection_on": "Receive"})
    with pytest.raises(requests.exceptions.ConnectionError):
        run_module(protocol(lab, "ws001"), PING, {})
    counters = lab.control("GET", "/hosts/ws001/counters")
    assert counters["module_runs"] == {PING: 1}
    assert counters["faults_injected"] == 1


def test_http_500(lab):
    lab.control("POST", "/hosts/ws001/faults", {"http_500_on": "Command"})
    with pytest.raises(WinRMTransportError) as caught:
        run_module(protocol(lab, "ws001"), PING, {})
    assert caught.value.code == 500


def test_counted_fault_clears_itself(lab):
    lab.control("POST", "/hosts/ws001/faults", {"http_500_on": "any", "times": 1})
    with pytest.raises(WinRMTransportError):
        protocol(lab, "ws001").open_shell()
    assert run_module(protocol(lab, "ws001"), PING, {})[1] == 0
    assert lab.control("GET", "/hosts/ws001/faults")["wire"]["http_500_on"] is None


def test_slow_answers_exceed_a_short_read_timeout(lab):
    lab.control("POST", "/hosts/ws001/faults", {"slow_ms": 2500})
    with pytest.raises(requests.exceptions.ReadTimeout):
        protocol(lab, "ws001", operation_timeout_sec=1, read_timeout_sec=2).open_shell()


@pytest.mark.parametrize(
    "spec",
    [{"nonsense": 1}, {"http_500_on": "Teleport"}, {"slow_ms": -1}, {"fail_write_after": "x"}],
)
def test_invalid_fault_specs_are_rejected(lab, spec):
    with pytest.raises(ControlCallError) as caught:
        lab.control("POST", "/hosts/ws001/faults", spec)
    assert caught.value.status == 400


def test_host_faults_reach_the_engine(lab):
    key = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
    lab.control("POST", "/hosts/ws001/faults", {"deny_keys": [key]})
    result, code = run_module(
        protocol(lab, "ws001"),
        "winra.remote_assistance.win_ra_state",
        engine_read([key]),
    )
    assert code == 1 and result["error"] == "access_denied"
    assert lab.control("GET", "/hosts/ws001/faults")["host"]["deny_keys"] == [key]
    lab.control("DELETE", "/hosts/ws001/faults")
    result, code = run_module(
        protocol(lab, "ws001"),
        "winra.remote_assistance.win_ra_state",
        engine_read([key]),
    )
    assert code == 0, result


def test_faults_for_all_hosts_at_once(lab):
    lab.control("POST", "/faults", {"http_500_on": "Create"})
    for name in ("ws001", "ws002"):
        with pytest.raises(WinRMTransportError):
            protocol(lab, name).open_shell()
    lab.control("DELETE", "/faults")
    assert all(run_module(protocol(lab, n), PING, {})[1] == 0 for n in ("ws001", "ws002"))
