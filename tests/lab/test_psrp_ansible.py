"""Unmodified ansible-playbook over the builtin psrp connection (pypsrp) against lab hosts."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from _lab_helpers import (
    BIN,
    ansible_env,
    engine_read,
    engine_set_dword,
    throwaway_collections,
)

from winra_lab.lab import Lab

pytestmark = [pytest.mark.lab, pytest.mark.e2e]
ENGINE = "winra.remote_assistance.win_ra_state"
PING = "ansible.windows.win_ping"
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"


def _playbook(tmp_path, lab, tasks, extra=()):
    path = tmp_path / "play.yml"
    play = [{"hosts": "windows", "gather_facts": False, "tasks": tasks}]
    path.write_text(json.dumps(play))  # JSON is YAML
    return subprocess.run(
        [str(BIN / "ansible-playbook"), "-i", str(lab.inventory_path), str(path), *extra],
        capture_output=True,
        text=True,
        env=ansible_env(throwaway_collections(tmp_path / "colls")),
        cwd=tmp_path,
        timeout=600,
    )


def _recap(stdout: str) -> dict[str, dict[str, int]]:
    recap = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", stdout, re.MULTILINE):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return recap


@pytest.fixture(scope="module", params=["ntlm", "basic"])
def lab(request):
    # ntlm: the inventory asks for negotiate (psrp's default) with message encryption.
    with Lab(hosts=2, profile="fresh", auth=request.param, connection="psrp") as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(lab):
    lab.client.reset()


def test_inventory_asks_for_psrp_over_http(lab):
    text = lab.inventory_path.read_text()
    assert "ansible_connection=psrp" in text and "ansible_psrp_protocol=http" in text
    expected = "negotiate" if lab.auth == "ntlm" else "basic"
    assert f"ansible_psrp_auth={expected}" in text


def test_loop_task_reuses_one_pool_and_runs_one_pipeline_per_item(lab, tmp_path):
    items = ["one", "two", "three"]
    result = _playbook(
        tmp_path,
        lab,
        [
            {"name": "ping each", PING: {"data": "{{ item }}"}, "loop": items, "register": "out"},
            {
                "name": "each item answered",
                "ansible.builtin.assert": {
                    "that": [f"out.results | map(attribute='ping') | list == {items}"]
                },
            },
        ],
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for name, counters in lab.client.counters().items():
        # The task executor opens one connection per task; the loop's items share it.
        assert counters["pools"] == 1, name
        assert counters["pipelines"] == len(items), name
        assert counters["module_runs"] == {PING: len(items)}, name
        assert counters["commands"] == 0, name  # nothing went over WinRS


def test_engine_apply_and_read_back_over_psrp(lab, tmp_path):
    # The engine takes one option, `request` (contract 2); the read's last key is the
    # computer name, so each host answers for itself.
    computer_name = (
        "(read['keys'] | last)['values'] | selectattr('name', 'equalto', 'ComputerName')"
        " | map(attribute='data') | first"
    )
    result = _playbook(
        tmp_path,
        lab,
        [
            {
                ENGINE: engine_set_dword(POLICY, "fAllowUnsolicited", 1),
                "register": "applied",
            },
            {ENGINE: engine_read([POLICY]), "register": "read"},
            {
                "ansible.builtin.assert": {
                    "that": [
                        "applied is changed",
                        f"{computer_name} == (inventory_hostname.split('.')[0] | upper)",
                    ]
                }
            },
        ],
    )

    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    for host in lab.hosts:
        stored = lab.client.value(host.name, POLICY, "fAllowUnsolicited")
        assert stored["present"] and stored["data"] == 1
        counters = lab.client.counters()[host.name]
        assert counters["module_runs"] == {ENGINE: 2} and counters["pools"] == 2


def test_a_failing_module_fails_the_task_with_its_message(lab, tmp_path):
    result = _playbook(tmp_path, lab, [{PING: {"data": "crash"}}])

    assert result.returncode != 0
    assert "boom" in result.stdout
    assert all(r["failed"] == 1 for r in _recap(result.stdout).values())


def test_wrong_password_makes_hosts_unreachable_and_opens_no_pool(lab, tmp_path):
    text = lab.inventory_path.read_text()
    lab.inventory_path.write_text(text.replace(lab.credentials.password, "wrong-password"))
    try:
        result = _playbook(tmp_path, lab, [{PING: {}}])
    finally:
        lab.inventory_path.write_text(text)

    assert result.returncode != 0
    assert "failed to authenticate" in result.stdout
    assert all(r["unreachable"] == 1 for r in _recap(result.stdout).values())
    for counters in lab.client.counters().values():
        assert counters["pools"] == 0 and counters["auth_failures"] >= 1


def test_raw_fails_with_the_exit_code_from_set_should_exit(lab, tmp_path):
    result = _playbook(tmp_path, lab, [{"ansible.builtin.raw": "ipconfig /all"}])

    assert result.returncode != 0
    # The pipeline completes (it does not fail), so psrp's rc 1 is the lab's SetShouldExit.
    assert '"msg": "non-zero return code", "rc": 1' in result.stdout
    assert "runs no PowerShell" in result.stdout and "ipconfig /all" in result.stdout
    for counters in lab.client.counters().values():
        assert counters["refused_commands"] == 1 and counters["registry_writes"] == 0
