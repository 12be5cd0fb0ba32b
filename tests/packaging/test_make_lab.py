"""`make lab` runs the lab's command line from a fresh shell in the checkout, as README and
docs/lab.md tell a newcomer to, with no virtual environment activated."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from artifact_tools import ROOT

from winra_lab.client import ControlClient

pytestmark = pytest.mark.lab

VENV_BIN = Path(sys.executable).parent


def fresh_shell_env() -> dict[str, str]:
    """The environment of a new terminal: no venv on PATH, nothing pointing into it."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}
        and not k.startswith(("ANSIBLE_", "MAKE", "PYTEST_"))
    }
    path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != VENV_BIN]
    env["PATH"] = os.pathsep.join(path)
    return env


def make_lab(args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-c", f"make --no-print-directory lab ARGS='{args}'"],
        cwd=ROOT, env=fresh_shell_env(), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_fresh_shell_has_no_lab_on_its_own():
    # The premise: outside make, a new shell cannot run the documented CLI module itself.
    python = "python3.11"
    done = subprocess.run(
        ["bash", "-c", f"command -v {python} && {python} -c 'import winra_lab'"],
        env=fresh_shell_env(), capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode != 0


def test_make_lab_starts_reports_and_stops_a_lab(tmp_path):
    run_dir, inventory = tmp_path / "run", tmp_path / "lab.ini"
    prefix = f"--run-dir {run_dir}"
    try:
        started = make_lab(f"{prefix} start --hosts 1 --inventory {inventory}")
        assert started.returncode == 0, started.stdout + started.stderr
        assert "ws001.contoso.test" in inventory.read_text(encoding="utf-8")
        assert ControlClient.from_run_dir(run_dir).call("GET", "/health") == {
            "ok": True,
            "hosts": 1,
        }
        status = make_lab(f"{prefix} status")
        assert status.returncode == 0, status.stdout + status.stderr
        assert "ws001.contoso.test" in status.stdout
    finally:
        stopped = make_lab(f"{prefix} stop")
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "stopped" in stopped.stdout
    after = make_lab(f"{prefix} status")
    assert after.returncode != 0
    assert "no lab is running" in after.stdout + after.stderr


def documented_seeding_commands() -> list[str]:
    """The `make lab` lines of docs/lab.md's seeding example, exactly as written there."""
    text = (ROOT / "docs" / "lab.md").read_text(encoding="utf-8")
    block = text.split("Seed the situations your playbook must survive", 1)[1]
    block = block.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.startswith("make lab ARGS=")]


def test_documented_seeding_commands_reach_the_lab(tmp_path):
    """The doc's quoting survives both shells: each command changes the lab's own state."""
    run_dir = tmp_path / "run"
    commands = documented_seeding_commands()
    assert len(commands) == 3
    started = make_lab(f"--run-dir {run_dir} start --hosts 5")
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        for command in commands:
            # The same line, pointed at this test's lab.
            line = command.replace('ARGS="', f'ARGS="--run-dir {run_dir} ', 1)
            done = subprocess.run(
                ["bash", "-c", line.replace("make lab", "make --no-print-directory lab", 1)],
                cwd=ROOT, env=fresh_shell_env(), capture_output=True, text=True, timeout=120,
                check=False,
            )  # fmt: skip
            assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        lab = ControlClient.from_run_dir(run_dir)
        ts = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
        assert lab.value("ws003", ts, "fAllowToGetHelp") == {
            "path": ts,
            "name": "fAllowToGetHelp",
            "present": True,
            "type": "REG_DWORD",
            "data": 0,
        }
        assert lab.faults("ws004")["wire"]["refuse_connections"] is True
        assert lab.faults("ws005")["host"]["fail_write_after"] == 1
    finally:
        make_lab(f"--run-dir {run_dir} stop")
