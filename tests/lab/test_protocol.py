"""The lab's WinRM service as pywinrm 0.5.0 sees it: real sockets, real client."""

from __future__ import annotations

import http.client
import socket
import threading

import pytest
import requests
import winrm
from _lab_helpers import engine_read, hostname_of, protocol, run, run_module
from winrm.exceptions import InvalidCredentialsError, WSManFaultError

from winra_lab.lab import Lab
from winra_lab.latency import LatencyModel

pytestmark = pytest.mark.lab
ENGINE = "winra.remote_assistance.win_ra_state"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"


@pytest.fixture(scope="module")
def lab():
    with Lab(hosts=3, profile="fresh") as running:
        yield running


def test_shell_command_with_stdin_round_trip(lab):
    _out, err, code = run(
        protocol(lab),
        "PowerShell",
        ["-EncodedCommand", "RwBlAHQALQBEAGEAdABlAA=="],
        stdin=b"some stdin",
    )
    assert code == 1  # a plain script: refused, with a message rather than a fake run
    assert b"runs no PowerShell" in err
    assert b"Get-Date" in err


def test_module_run_reaches_the_engine_of_that_host(lab):
    for name in ("ws001", "ws003"):
        result, code = run_module(protocol(lab, name), ENGINE, engine_read([OLE]))
        assert code == 0, result
        assert hostname_of(result) == name.upper()
        assert result["keys"][0]["path"] == OLE


def test_failed_module_exits_1_with_json(lab):
    result, code = run_module(protocol(lab), "labtest.dummy.win_other", {})
    assert code == 1
    assert result["failed"] is True and "labtest.dummy.win_other" in result["msg"]


def test_wrong_password_is_rejected_like_windows(lab):
    with pytest.raises(InvalidCredentialsError):
        protocol(lab, password="wrong").open_shell()
    response = requests.post(lab.host("ws001").endpoint, data=b"<x/>", auth=("lab-admin", "wrong"))
    assert response.status_code == 401
    challenges = response.raw.headers.getlist("WWW-Authenticate")
    assert 'Basic realm="WSMAN"' in challenges and "Negotiate" in challenges


def test_unknown_shell_is_a_wsman_fault(lab):
    proto = protocol(lab)
    with pytest.raises(WSManFaultError) as caught:
        proto.run_command("NO-SUCH-SHELL", "PowerShell")
    assert caught.value.wsman_fault_code == 2150858843


def test_keep_alive_and_tcp_nodelay(lab):
    host = lab.host("ws002")
    before = host.counters.snapshot(0)["connections"]
    conn = http.client.HTTPConnection(host.address, host.port)
    for _ in range(3):
        conn.request("POST", "/wsman", body=b"<x/>", headers={"Authorization": "Basic eDp5"})
        response = conn.getresponse()
        response.read()
        assert response.status == 401
    server_side = lab.server.open_connections(host.name)
    assert len(server_side) == 1
    assert server_side[0].getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    conn.close()
    assert host.counters.snapshot(0)["connections"] == before + 1


def test_slow_command_answers_timeout_fault_and_client_polls_again():
    with Lab(hosts=1) as lab:
        host = lab.host("ws001")
        # The command takes longer than the client's 1 s OperationTimeout.
        host.latency = LatencyModel(command_ms=2200)
        proto = protocol(lab, operation_timeout_sec=1, read_timeout_sec=5)
        result, code = run_module(proto, "ansible.windows.win_ping", {})
        assert (result, code) == ({"ping": "pong", "changed": False}, 0)
        assert host.counters.snapshot(0)["requests_by_action"]["Receive"] >= 2


def test_receive_before_stdin_end_times_out():
    with Lab(hosts=1) as lab:
        proto = protocol(lab, operation_timeout_sec=1, read_timeout_sec=5)
        shell = proto.open_shell()
        command = proto.run_command(shell, "PowerShell", console_mode_stdin=False)
        proto.send_command_input(shell, command, b"partial", end=False)
        with pytest.raises(winrm.exceptions.WinRMOperationTimeoutError):
            proto.get_command_output_raw(shell, command)


@pytest.mark.parametrize("addressing", ["loopback", "ports"])
def test_both_addressing_modes_identify_hosts(addressing):
    with Lab(hosts=3, addressing=addressing) as lab:
        endpoints = {h.endpoint for h in lab.hosts}
        assert len(endpoints) == 3
        if addressing == "ports":
            assert {h.address for h in lab.hosts} == {"127.0.0.1"}
        else:
            assert len({h.port for h in lab.hosts}) == 1
        for host in lab.hosts:
            result, _ = run_module(protocol(lab, host.name), ENGINE, engine_read())
            assert hostname_of(result) == host.short_name.upper()


def test_concurrent_clients_do_not_share_state():
    with Lab(hosts=8) as lab:
        errors = []

        def worker(name):
            try:
                for _ in range(5):
                    result, _ = run_module(protocol(lab, name), ENGINE, engine_read())
                    if hostname_of(result) != name.upper():
                        errors.append((name, hostname_of(result)))
            except Exception as exc:  # collected and asserted below
                errors.append((name, exc))

        threads = [threading.Thread(target=worker, args=(h.short_name,)) for h in lab.hosts]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []
        assert all(h.counters.snapshot(0)["module_runs"] == {ENGINE: 5} for h in lab.hosts)
