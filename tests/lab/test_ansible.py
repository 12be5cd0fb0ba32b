"""Unmodified ansible-playbook (builtin winrm connection, pywinrm) against lab hosts."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from _lab_helpers import BIN, ansible_env, engine_read, engine_set_dword, throwaway_collections

from winra_lab.lab import Lab

pytestmark = [pytest.mark.lab, pytest.mark.e2e]
ENGINE = "winra.remote_assistance.win_ra_state"
# The computer name is the last key of engine_read(): each host answers for itself.
HOSTNAME_MATCHES = (
    "(read['keys'] | last)['values'] | selectattr('name', 'equalto', 'ComputerName')"
    " | map(attribute='data') | first == (inventory_hostname.split('.')[0] | upper)"
)
PING = "ansible.windows.win_ping"
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"

PLAY = [
    {
        "hosts": "windows",
        "gather_facts": False,
        "tasks": [
            {"name": "ping", PING: {}},
            {
                "name": "apply in check mode writes nothing",
                ENGINE: engine_set_dword(POLICY, "fAllowUnsolicited", 1),
                "check_mode": True,
                "register": "checked",
            },
            {
                "name": "apply",
                ENGINE: engine_set_dword(POLICY, "fAllowUnsolicited", 1),
                "register": "applied",
            },
            {"name": "read back", ENGINE: engine_read([POLICY]), "register": "read"},
            {
                "name": "each host answered for itself",
                "ansible.builtin.assert": {
                    "that": [
                        "checked is changed",
                        "applied is changed",
                        HOSTNAME_MATCHES,
                        "read['keys'][0]['values'] | selectattr('name', 'equalto', 'fAllowUnsolicited')"
                        " | map(attribute='data') | list == ['01000000']",
                    ]
                },
            },
        ],
    }
]


def _playbook(tmp_path, lab, play, forks=5, extra=()):
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play))  # JSON is YAML
    env = ansible_env(throwaway_collections(tmp_path / "colls"))
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(lab.inventory_path),
            "-f",
            str(forks),
            str(path),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )


def _recap(stdout: str) -> dict[str, dict[str, int]]:
    recap = {}
    for host, counts in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", stdout, re.MULTILINE):
        recap[host] = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", counts)}
    return recap


def test_playbook_against_three_hosts(tmp_path):
    with Lab(hosts=3, profile="fresh") as lab:
        result = _playbook(tmp_path, lab, PLAY)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        recap = _recap(result.stdout)
        assert sorted(recap) == [h.name for h in lab.hosts]
        assert all(
            r["failed"] == 0 and r["unreachable"] == 0 and r["changed"] == 2 for r in recap.values()
        )
        for host in lab.hosts:
            counters = lab.control("GET", f"/hosts/{host.name}/counters")
            assert counters["module_runs"] == {PING: 1, ENGINE: 2}
            assert counters["check_mode_runs"] == {ENGINE: 1}
            assert counters["registry_writes"] >= 1


def test_wrong_password_makes_hosts_unreachable(tmp_path):
    with Lab(hosts=2) as lab:
        text = lab.inventory_path.read_text().replace(lab.credentials.password, "wrong-password")
        lab.inventory_path.write_text(text)
        result = _playbook(
            tmp_path, lab, [{"hosts": "windows", "gather_facts": False, "tasks": [{PING: {}}]}]
        )
        assert result.returncode != 0
        assert "credentials were rejected" in result.stdout
        assert all(r["unreachable"] == 1 for r in _recap(result.stdout).values())


def test_unemulated_module_fails_naming_it(tmp_path):
    with Lab(hosts=1) as lab:
        result = _playbook(
            tmp_path,
            lab,
            [
                {
                    "hosts": "windows",
                    "gather_facts": False,
                    "tasks": [{"labtest.dummy.win_dummy": {}}],
                }
            ],
        )
        assert result.returncode == 2
        assert "does not emulate the module 'labtest.dummy.win_dummy'" in result.stdout


def test_refused_host_is_unreachable_others_converge(tmp_path):
    with Lab(hosts=3) as lab:
        lab.control("POST", "/hosts/ws002/faults", {"refuse_connections": True})
        result = _playbook(
            tmp_path, lab, [{"hosts": "windows", "gather_facts": False, "tasks": [{PING: {}}]}]
        )
        recap = _recap(result.stdout)
        assert recap["ws002.contoso.test"]["unreachable"] == 1
        assert recap["ws001.contoso.test"]["ok"] == recap["ws003.contoso.test"]["ok"] == 1


@pytest.mark.slow
def test_fleet_of_200_hosts_with_forks_50(tmp_path):
    play = [
        {
            "hosts": "windows",
            "gather_facts": False,
            "tasks": [
                {"name": "ping", PING: {}},
                {"name": "read", ENGINE: engine_read([POLICY]), "register": "read"},
                {
                    "name": "no state leaks between hosts",
                    "ansible.builtin.assert": {"that": [HOSTNAME_MATCHES]},
                },
            ],
        }
    ]
    with Lab(hosts=200, mix=True) as lab:
        result = _playbook(tmp_path, lab, play, forks=50)
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        recap = _recap(result.stdout)
        assert len(recap) == 200
        assert all(
            r["ok"] == 3 and r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()
        )
        for host in lab.hosts:
            assert host.counters.snapshot(0)["module_runs"] == {PING: 1, ENGINE: 1}, host.name
