"""A lab of N fresh hosts for one benchmark scenario, driven through its CLI and control API.

The lab runs as its own process (`python -m winra_lab start`), so its CPU time is not the
benchmark's and every figure comes from the lab's own counters. Ports are left to the lab
(`--port 0 --control-port 0`): it binds free ones and writes them into the inventory.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from winra_lab.lab import call_control


class LabSession:
    def __init__(self, hosts: int, latency: str = "none", profile: str = "fresh") -> None:
        self.hosts = hosts
        self.latency = latency
        self.profile = profile
        self._tmp = tempfile.TemporaryDirectory(prefix="winra-bench-")
        self.run_dir = Path(self._tmp.name)
        self.inventory = self.run_dir / "inventory.ini"
        self.control_url = ""
        self.host_names: list[str] = []

    def _cli(self, *args: str) -> subprocess.CompletedProcess:
        argv = [sys.executable, "-m", "winra_lab", "--run-dir", str(self.run_dir), *args]
        return subprocess.run(argv, capture_output=True, text=True, check=False)

    def start(self) -> LabSession:
        done = self._cli(
            "start", "--hosts", str(self.hosts), "--profile", self.profile,
            "--inventory", str(self.inventory), "--port", "0", "--control-port", "0",
            "--latency", self.latency,
        )  # fmt: skip
        if done.returncode != 0:
            self._tmp.cleanup()
            raise RuntimeError(f"the lab did not start:\n{done.stdout}{done.stderr}")
        info = json.loads((self.run_dir / "run.json").read_text(encoding="utf-8"))
        self.control_url = info["control_url"]
        self.host_names = [host["name"] for host in info["hosts"]]
        return self

    def stop(self) -> None:
        if self.control_url:
            self._cli("stop")
            self.control_url = ""
        self._tmp.cleanup()

    def __enter__(self) -> LabSession:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    # ------------------------------------------------------------ control API

    def control(self, method: str, path: str, body=None):
        return call_control(self.control_url, method, path, body)

    def reset_hosts(self) -> None:
        """Every host back to its fresh profile state, counters at zero."""
        self.control("POST", "/reset")

    def reset_counters(self) -> None:
        self.control("DELETE", "/counters")

    def counters(self) -> dict[str, dict]:
        return self.control("GET", "/counters")

    def edit_registry(self, host: str, ops: list[dict]) -> None:
        self.control("POST", f"/hosts/{host}/registry", {"ops": ops})

    def registry(self, host: str) -> dict:
        return self.control("GET", f"/hosts/{host}")["state"]["registry"]
