"""ControlClient against a real in-process lab: each method reaches its endpoint and says so."""

from __future__ import annotations

import json

import pytest
from _lab_helpers import engine_read, protocol, run_module

from winra_lab.client import RUN_FILE, ControlCallError, ControlClient, run_cli
from winra_lab.lab import Lab

pytestmark = pytest.mark.lab
ENGINE = "winra.remote_assistance.win_ra_state"
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
NAME = "fAllowToGetHelp"


@pytest.fixture
def lab():
    with Lab(hosts=2, profile="fresh", port=0, control_port=0) as running:
        yield running


def test_a_seeded_value_reads_back_and_reset_removes_it(lab):
    client = lab.client
    assert client.value("ws001", POLICY, NAME)["present"] is False

    assert client.set_value("ws001", POLICY, NAME, "REG_DWORD", 0) == {"applied": 1}
    assert client.value("ws001.contoso.test", POLICY, NAME) == {
        "path": POLICY,
        "name": NAME,
        "present": True,
        "type": "REG_DWORD",
        "data": 0,
    }
    assert client.registry("ws001")[POLICY][NAME] == {"type": "REG_DWORD", "data": 0}
    assert client.value("ws002", POLICY, NAME)["present"] is False, "only ws001 was seeded"

    ops = [
        {"op": "delete", "path": POLICY, "name": NAME},
        {"op": "set", "path": POLICY, "name": "Other", "type": "REG_SZ", "data": "x"},
    ]
    assert client.edit_registry("ws001", ops) == {"applied": 2}
    assert client.value("ws001", POLICY, NAME)["present"] is False
    assert client.value("ws001", POLICY, "Other")["data"] == "x"

    client.reset(["ws001"])
    assert client.value("ws001", POLICY, "Other")["present"] is False


def test_counters_count_module_runs_and_reset_to_zero(lab):
    client = lab.client
    run_module(protocol(lab, "ws001"), ENGINE, engine_read([POLICY]))
    run_module(protocol(lab, "ws002"), ENGINE, engine_read([POLICY]))
    assert client.counters("ws001")["module_runs"] == {ENGINE: 1}
    assert set(client.counters()) == {"ws001.contoso.test", "ws002.contoso.test"}

    client.reset_counters("ws001")
    assert client.counters("ws001")["requests"] == 0
    assert client.counters("ws002")["module_runs"] == {ENGINE: 1}, "only ws001 was reset"

    client.reset_counters()
    assert all(c["requests"] == 0 for c in client.counters().values())


def test_faults_are_set_reported_and_cleared(lab):
    client = lab.client
    in_force = client.set_faults("ws001", http_500_on="Create", deny_keys=[POLICY])
    assert in_force["wire"]["http_500_on"] == "Create"
    assert client.faults("ws001")["host"]["deny_keys"] == [POLICY]
    assert client.faults("ws002")["wire"]["http_500_on"] is None

    client.clear_faults("ws001")
    assert client.faults("ws001")["wire"]["http_500_on"] is None
    assert not client.faults("ws001")["host"].get("deny_keys")

    client.set_faults("ws002", refuse_connections=True)
    assert [h["listening"] for h in client.hosts()] == [True, False]
    client.clear_faults()
    assert [h["listening"] for h in client.hosts()] == [True, True]


def test_firewall_rules_and_the_host_dump(lab):
    dump = lab.client.host("ws002")
    assert dump["name"] == "ws002.contoso.test"
    assert lab.client.firewall_rules("ws002") == dump["state"]["firewall_rules"]


def test_an_unknown_host_raises_with_the_status(lab):
    with pytest.raises(ControlCallError) as caught:
        lab.client.counters("ws009")
    assert caught.value.status == 404


def test_from_run_dir_finds_the_lab_of_a_run_file(lab, tmp_path):
    # What `start` records: the pid of `serve` and the lab's run info.
    (tmp_path / RUN_FILE).write_text(json.dumps({"pid": 1, **lab.run_info()}), "utf-8")
    client = ControlClient.from_run_dir(tmp_path)
    assert client.control_url == lab.control_url
    client.set_value("ws002", POLICY, NAME, "REG_SZ", "from the run file")
    assert lab.host("ws002").state.registry.get_value(POLICY, NAME).data == "from the run file"


def test_run_cli_raises_with_the_commands_output(tmp_path):
    with pytest.raises(RuntimeError, match="no lab is running"):
        run_cli(tmp_path, "status")


def test_gp_refresh_puts_the_gpo_value_back():
    with Lab(hosts=1, profile="gpo-conflict") as running:
        client = running.client
        name = "fAllowUnsolicitedFullControl"
        client.set_value("ws001", POLICY, name, "REG_DWORD", 1)
        answer = client.gp_refresh("ws001")
        assert {k: answer[k] for k in ("refreshed", "applied")} == {
            "refreshed": "ws001.contoso.test",
            "applied": 2,
        }
        assert client.value("ws001", POLICY, name)["data"] == 0
