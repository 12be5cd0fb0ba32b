"""The integration targets of tests/integration/targets run unchanged on lab hosts.

ansible-test windows-integration runs a role target by writing a one-play playbook
(`hosts: windows`, `gather_facts: false`, `win_output_dir` set, `roles: [<target>]`) and
running ansible-playbook with the targets directory as the roles path. `target_playbook`
writes the same play, so the targets run here exactly as ansible-test would run them on a
real Windows host; only the inventory differs: the lab's hosts, plus
`winra_test_host_runs_powershell=false`, which skips the tasks that need PowerShell (the lab
runs none). Each run must pass every assertion of the target, cost the engine runs its
task list implies, and leave every host's registry and firewall rules as they were.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from e2e_support import REPO, ansible_env

from bench import ansible_windows
from bench.playbook_run import parse_recap

pytestmark = pytest.mark.e2e

TARGETS = REPO / "tests" / "integration" / "targets"
LAB_VARS = "[windows]\n\n[windows:vars]\nwinra_test_host_runs_powershell=false\n"
# One host per starting point: nothing configured; the lab standard (values and rules to
# save and put back); the standard with EnableDCOM = N (a value the test changes and
# must restore).
PROFILES = ["fresh", "compliant", "drift-dcom"]
COMPOSITE_DOC = REPO / "plugins" / "modules" / "win_remote_assistance.py"

# Engine runs each target's task list implies (real, check mode), by lab profile:
# a changing task costs 2 runs, a compliant one 1, check mode 1.
ENGINE_RUNS = {
    # check, apply, again, again in check mode, disable, disable again, absent, absent again
    "win_offer_ra": {profile: (9, 2) for profile in PROFILES},
    # policy: check, apply, again, absent, absent again;
    # rules: start disabled (1 if they were, 2 if not), check, apply, again, absent,
    # and, where they were enabled, 2 runs per rule to enable them again.
    "win_ra_firewall": {"fresh": (12, 2), "compliant": (17, 2), "drift-dcom": (17, 2)},
}


def target_playbook(target: str, directory: Path) -> Path:
    """The play ansible-test windows-integration generates for a role target."""
    play = {
        "hosts": "windows",
        "gather_facts": False,
        "vars": {"win_output_dir": "C:\\ansible_testing"},
        "roles": [target],
    }
    path = directory / f"{target}-play.yml"
    path.write_text(json.dumps([play], indent=2), encoding="utf-8")
    return path


def run_target(target: str, inventory: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    lab_vars = tmp_path / "lab-vars.ini"
    lab_vars.write_text(LAB_VARS, encoding="utf-8")
    env = ansible_env(tmp_path)
    env["ANSIBLE_ROLES_PATH"] = str(TARGETS)
    # ansible.windows (win_reg_stat, win_regedit) from the pinned `ansible` wheel.
    env["ANSIBLE_COLLECTIONS_PATH"] = os.pathsep.join(
        [str(REPO / "collections"), str(ansible_windows.ensure())]
    )
    command = [
        str(Path(env["PATH"].split(os.pathsep)[0]) / "ansible-playbook"),
        "-i", str(inventory), "-i", str(lab_vars),
        str(target_playbook(target, tmp_path)),
    ]  # fmt: skip
    return subprocess.run(
        command, cwd=REPO, env=env, capture_output=True, text=True, timeout=900, check=False
    )


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(PROFILES)


def host_state(lab) -> dict[str, tuple[dict, list]]:
    return {
        name: (lab.client.registry(name), lab.client.firewall_rules(name)) for name in lab.names
    }


def check_target_run(target: str, lab, tmp_path: Path) -> dict[str, dict]:
    """Run `target` on every lab host; assert success and an unchanged lab; return counters."""
    lab.client.reset()
    before = host_state(lab)
    lab.client.reset_counters()

    done = run_target(target, lab.inventory, tmp_path)
    output = done.stdout + done.stderr
    recap = parse_recap(done.stdout)
    assert done.returncode == 0, output[-6000:]
    assert set(recap) == set(lab.names), output[-3000:]
    for host, counts in recap.items():
        assert counts["failed"] == 0 and counts["unreachable"] == 0, (host, counts)
        assert counts["changed"] > 0, (host, counts)  # the target did change the host

    assert host_state(lab) == before, "the target's cleanup left the lab changed"
    counters = lab.client.counters()
    for host, snapshot in counters.items():
        assert snapshot["refused_commands"] == 0, host  # nothing tried to run PowerShell
        assert "ansible.windows.win_shell" not in snapshot["module_runs"], host
        assert snapshot["module_runs"].get("ansible.windows.win_reg_stat", 0) > 0, host
    return counters


def profile_of(lab, host: str) -> str:
    return next(h.profile for h in lab.lab.hosts if h.name == host)


@pytest.mark.parametrize("target", sorted(ENGINE_RUNS))
def test_target_passes_on_the_lab_and_leaves_every_host_as_found(lab, tmp_path, target):
    counters = check_target_run(target, lab, tmp_path)
    for host, snapshot in counters.items():
        expected = ENGINE_RUNS[target][profile_of(lab, host)]
        engine = "winra.remote_assistance.win_ra_state"
        runs = (snapshot["module_runs"].get(engine, 0), snapshot["check_mode_runs"].get(engine, 0))
        assert runs == expected, (host, runs)
        assert snapshot["registry_writes"] > 0, host


@pytest.mark.skipif(
    not COMPOSITE_DOC.exists(),
    reason="winra.remote_assistance.win_remote_assistance is not in this checkout",
)
def test_composite_target_passes_on_the_lab_and_leaves_every_host_as_found(lab, tmp_path):
    counters = check_target_run("win_remote_assistance", lab, tmp_path)
    for host, snapshot in counters.items():
        assert snapshot["registry_writes"] > 0, host


def test_every_target_has_the_windows_layout():
    """ansible-test finds a target by its aliases; the lab run above needs tasks/main.yml."""
    targets = [p for p in TARGETS.iterdir() if not p.name.startswith("setup_")]
    assert {p.name for p in targets} >= {*ENGINE_RUNS, "win_remote_assistance"}
    for target in targets:
        aliases = (target / "aliases").read_text(encoding="utf-8").split()
        assert "windows" in aliases and any(a.startswith("shippable/windows/") for a in aliases)
        assert "needs/target/setup_winra_registry" in aliases
        assert (target / "tasks" / "main.yml").is_file()
