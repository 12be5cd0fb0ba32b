"""A lab of N fresh hosts for one benchmark scenario, driven through its CLI and control API.

The lab runs as its own process (`python -m winra_lab start`), so its CPU time is not the
benchmark's and every figure comes from the lab's own counters (`session.client`). Ports are
left to the lab (`--port 0 --control-port 0`): it binds free ones and writes them into the
inventory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from winra_lab.client import ControlClient, run_cli


class LabSession:
    def __init__(
        self, hosts: int, latency: str = "none", profile: str = "fresh", connection: str = "winrm"
    ) -> None:
        self.hosts = hosts
        self.connection = connection  # what the inventory asks for: winrm or psrp
        self.latency = latency
        self.profile = profile
        self._tmp = tempfile.TemporaryDirectory(prefix="winra-bench-")
        self.run_dir = Path(self._tmp.name)
        self.inventory = self.run_dir / "inventory.ini"
        self.client: ControlClient | None = None
        self.host_names: list[str] = []

    def start(self) -> LabSession:
        try:
            run_cli(
                self.run_dir,
                "start", "--hosts", str(self.hosts), "--profile", self.profile,
                "--inventory", str(self.inventory), "--port", "0", "--control-port", "0",
                "--latency", self.latency, "--connection", self.connection,
            )  # fmt: skip
        except RuntimeError:
            self._tmp.cleanup()
            raise
        self.client = ControlClient.from_run_dir(self.run_dir)
        self.host_names = [host["name"] for host in self.client.hosts()]
        return self

    def stop(self) -> None:
        try:
            if self.client is not None:
                self.client = None
                run_cli(self.run_dir, "stop")
        finally:
            self._tmp.cleanup()

    def __enter__(self) -> LabSession:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()
