"""meta/runtime.yml allows ansible-core 2.16: converge and audit lab hosts with it.

ansible-core 2.16 sends modules in another wire format (a nested -EncodedCommand, the
exec wrapper before the JSON) and runs the action plugins on its own controller code, so
the oldest allowed release gets its own virtual environment, pinned in requirements.txt.
"""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from e2e_support import REPO, run_audit, run_playbook, standard_values, value_in, writes

pytestmark = pytest.mark.e2e


def _pin(pattern: str) -> str:
    text = (REPO / "requirements.txt").read_text(encoding="utf-8")
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"requirements.txt has no line matching {pattern!r}"
    return found.group(1)


@pytest.fixture(scope="module")
def oldest_bin():
    core = _pin(r"^# compat-check: ansible-core==(\S+)$")
    pywinrm = _pin(r"^pywinrm==(\S+)$")
    venv = REPO / ".cache" / f"venv-ansible-core-{core}"
    python = venv / "bin" / "python"
    if not (venv / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"ansible-core=={core}",
             f"pywinrm=={pywinrm}"],
            check=True, capture_output=True,
        )  # fmt: skip
        (venv / ".installed").touch()
    version = subprocess.run(
        [str(venv / "bin" / "ansible"), "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert f"core {core}]" in version, version
    return venv / "bin"


def test_oldest_allowed_ansible_core_converges_then_changes_nothing(lab_of, oldest_bin, tmp_path):
    lab = lab_of(["fresh", "drift-helpers"])

    first = run_playbook("site.yml", lab.inventory, tmp_path, bin_dir=oldest_bin)
    assert first.returncode == 0, first.output[-4000:]
    assert first.changed_hosts() == set(lab.names)
    for name in lab.names:
        registry = lab.client.registry(name)
        for (path, value_name), value in standard_values().items():
            assert value_in(registry, path, value_name) == value, (name, path, value_name)

    lab.client.reset_counters()
    second = run_playbook("site.yml", lab.inventory, tmp_path, bin_dir=oldest_bin)
    assert second.returncode == 0, second.output[-4000:]
    assert second.changed_hosts() == set()
    run, report, _ = run_audit(lab.inventory, tmp_path, bin_dir=oldest_bin)
    assert run.returncode == 0, run.output[-4000:]
    assert report["summary"]["compliant"] == len(lab.names)
    counters = lab.client.counters()
    assert all(writes(counters[name]) == 0 for name in lab.names)
