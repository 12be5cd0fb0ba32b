"""The integration targets of tests/integration/targets run unchanged on lab hosts.

They run under `ansible-test windows-integration <target> --inventory <lab inventory>`,
exactly as a user runs them against real Windows hosts, from the collection tree the
artifact ships (tools/collection_tree.py) with ansible.windows beside it (from the pinned
`ansible` wheel, bench/ansible_windows.py). The inventory is the lab's, plus
`winra_test_host_runs_powershell=false`, which skips the tasks that need PowerShell (the
lab runs none). Each run must pass every assertion of the target, cost the engine runs
its task list implies, and leave every host's registry and firewall rules as they were.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_support import REPO

from bench import ansible_windows
from bench.playbook_run import parse_recap

sys.path.insert(0, str(REPO / "tools"))
from collection_tree import make_tree

pytestmark = pytest.mark.e2e

TARGETS = REPO / "tests" / "integration" / "targets"
LAB_VARS = "\n[windows:vars]\nwinra_test_host_runs_powershell=false\n"
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
    # check, apply, again, absent, absent again (both parts in each run)
    "win_remote_assistance": {profile: (6, 1) for profile in PROFILES},
}


@pytest.fixture(scope="module")
def collection_root(tmp_path_factory) -> Path:
    """The shipped collection under <tmp>/ansible_collections/, ansible.windows beside it."""
    root = tmp_path_factory.mktemp("collections")
    tree = make_tree(REPO, root)
    windows = ansible_windows.ensure() / "ansible_collections" / "ansible" / "windows"
    (root / "ansible_collections" / "ansible").mkdir()
    (root / "ansible_collections" / "ansible" / "windows").symlink_to(windows)
    return tree


def run_target(target: str, tree: Path, inventory: Path, tmp_path: Path):
    """ansible-test windows-integration for one target against the lab's hosts."""
    lab_inventory = tmp_path / "inventory.winrm"
    lab_inventory.write_text(inventory.read_text(encoding="utf-8") + LAB_VARS, encoding="utf-8")
    bin_dir = Path(sys.executable).parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    command = [
        str(bin_dir / "ansible-test"), "windows-integration", target,
        "--inventory", str(lab_inventory), "--python", "3.11", "--color", "no",
    ]  # fmt: skip
    # ansible-test needs a real stdin (it checks its handles), even where pytest has none.
    return subprocess.run(
        command, cwd=tree, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=900, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(PROFILES)


def host_state(lab) -> dict[str, tuple[dict, list]]:
    return {
        name: (lab.client.registry(name), lab.client.firewall_rules(name)) for name in lab.names
    }


def check_target_run(target: str, lab, tree: Path, tmp_path: Path) -> dict[str, dict]:
    """Run `target` on every lab host; assert success and an unchanged lab; return counters."""
    lab.client.reset()
    before = host_state(lab)
    lab.client.reset_counters()

    done = run_target(target, tree, lab.inventory, tmp_path)
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


def check_engine_runs(target: str, lab, counters: dict[str, dict]) -> None:
    for host, snapshot in counters.items():
        expected = ENGINE_RUNS[target][profile_of(lab, host)]
        engine = "winra.remote_assistance.win_ra_state"
        runs = (snapshot["module_runs"].get(engine, 0), snapshot["check_mode_runs"].get(engine, 0))
        assert runs == expected, (host, runs)
        assert snapshot["registry_writes"] > 0, host


@pytest.mark.parametrize("target", ["win_offer_ra", "win_ra_firewall"])
def test_target_passes_on_the_lab_and_leaves_every_host_as_found(
    lab, collection_root, tmp_path, target
):
    check_engine_runs(target, lab, check_target_run(target, lab, collection_root, tmp_path))


@pytest.mark.skipif(
    not COMPOSITE_DOC.exists(),
    reason="winra.remote_assistance.win_remote_assistance is not in this checkout",
)
def test_composite_target_passes_on_the_lab_and_leaves_every_host_as_found(
    lab, collection_root, tmp_path
):
    target = "win_remote_assistance"
    check_engine_runs(target, lab, check_target_run(target, lab, collection_root, tmp_path))


def test_every_target_has_the_windows_layout():
    """ansible-test finds a target by its aliases; the lab run above needs tasks/main.yml."""
    targets = [p for p in TARGETS.iterdir() if not p.name.startswith("setup_")]
    assert {p.name for p in targets} == set(ENGINE_RUNS)
    for target in targets:
        aliases = (target / "aliases").read_text(encoding="utf-8").split()
        assert "windows" in aliases and any(a.startswith("shippable/windows/") for a in aliases)
        assert "needs/target/setup_winra_registry" in aliases
        assert (target / "tasks" / "main.yml").is_file()


RESTORE_PLAY = r"""
- hosts: windows
  gather_facts: false
  vars:
    keys:
      - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services',
         names: [fAllowUnsolicited, fAllowUnsolicitedFullControl]}
      - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\RAUnsolicit'}
      - {path: 'HKLM:\SOFTWARE\Microsoft\Ole', names: [EnableDCOM]}
      - {path: 'HKLM:\SOFTWARE\Test Only', names: []}
  tasks:
    - ansible.builtin.include_role: {name: setup_winra_registry, tasks_from: snapshot.yml}
      vars: {setup_winra_registry_keys: '{{ keys }}'}
    - name: what a test interrupted halfway could leave
      ansible.windows.win_regedit: '{{ item }}'
      loop:
        - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services',
           name: fAllowUnsolicitedFullControl, data: 7, type: dword}
        - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services',
           name: fAllowUnsolicited, state: absent}
        - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\RAUnsolicit',
           name: 'WINRATEST\added', data: 'WINRATEST\added'}
        - {path: 'HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\RAUnsolicit',
           name: 'CONTOSO\Helpdesk', state: absent}
        - {path: 'HKLM:\SOFTWARE\Microsoft\Ole', name: EnableDCOM, data: 'N'}
        - {path: 'HKLM:\SOFTWARE\Test Only\Sub', name: x, data: 'y'}
    - ansible.builtin.include_role: {name: setup_winra_registry, tasks_from: restore.yml}
      vars: {setup_winra_registry_keys: '{{ keys }}'}
"""


def test_the_shared_restore_puts_back_added_changed_and_deleted_values_and_new_keys(lab, tmp_path):
    """setup_winra_registry on its own, after changes of every kind a test can leave."""
    lab.client.reset()
    before = host_state(lab)
    playbook = tmp_path / "restore.yml"
    playbook.write_text(RESTORE_PLAY, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    env.update(
        ANSIBLE_ROLES_PATH=str(TARGETS),
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(
            [str(REPO / "collections"), str(ansible_windows.ensure())]
        ),
        ANSIBLE_NOCOLOR="1",
    )
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(lab.inventory),
         str(playbook)],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    changed = {h: c["changed"] for h, c in parse_recap(done.stdout).items()}
    assert all(count >= 2 for count in changed.values()), changed  # it did write, then restore
    assert host_state(lab) == before
