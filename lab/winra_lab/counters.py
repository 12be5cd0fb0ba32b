"""Per-host traffic counters: what the controller cost each emulated host.

Registry writes are counted by the host side (`state.registry.writes`); `snapshot`
reports them next to these so that one call shows everything a test asserts on.
Module (engine) runs are counted by the dispatch both connections share, so a WinRS
command and a PSRP pipeline count alike; `commands` (WinRS) and `pools` / `pipelines`
(PSRP) tell the connections apart.
"""

from __future__ import annotations

import threading
from collections import Counter


class HostCounters:
    """Thread-safe counters for one host; every connection thread updates them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.connections = 0
            self.requests = 0
            self.requests_by_action: Counter[str] = Counter()
            self.auth_failures = 0
            self.encrypted_requests = 0
            self.shells = 0
            self.commands = 0
            self.pools = 0  # PSRP runspace pools opened (one per psrp connection)
            self.pipelines = 0  # PSRP pipelines created (one per psrp exec)
            self.module_runs: Counter[str] = Counter()
            self.check_mode_runs: Counter[str] = Counter()
            self.refused_commands = 0
            self.bytes_in = 0
            self.bytes_out = 0
            self.faults_injected = 0

    def connection(self) -> None:
        with self._lock:
            self.connections += 1

    def request(self, action: str, bytes_in: int) -> None:
        with self._lock:
            self.requests += 1
            self.requests_by_action[action] += 1
            self.bytes_in += bytes_in

    def response(self, bytes_out: int) -> None:
        with self._lock:
            self.bytes_out += bytes_out

    def auth_failure(self) -> None:
        with self._lock:
            self.auth_failures += 1

    def encrypted_request(self) -> None:
        with self._lock:
            self.encrypted_requests += 1

    def shell(self) -> None:
        with self._lock:
            self.shells += 1

    def command(self) -> None:
        with self._lock:
            self.commands += 1

    def pool(self) -> None:
        with self._lock:
            self.pools += 1

    def pipeline(self) -> None:
        with self._lock:
            self.pipelines += 1

    def module_run(self, module: str, check_mode: bool) -> None:
        with self._lock:
            (self.check_mode_runs if check_mode else self.module_runs)[module] += 1

    def refused(self) -> None:
        with self._lock:
            self.refused_commands += 1

    def fault(self) -> None:
        with self._lock:
            self.faults_injected += 1

    def snapshot(self, registry_writes: int) -> dict:
        with self._lock:
            return {
                "connections": self.connections,
                "requests": self.requests,
                "requests_by_action": dict(self.requests_by_action),
                "auth_failures": self.auth_failures,
                "encrypted_requests": self.encrypted_requests,
                "shells": self.shells,
                "commands": self.commands,
                "pools": self.pools,
                "pipelines": self.pipelines,
                "module_runs": dict(self.module_runs),
                "check_mode_runs": dict(self.check_mode_runs),
                "module_runs_total": sum(self.module_runs.values())
                + sum(self.check_mode_runs.values()),
                "refused_commands": self.refused_commands,
                "bytes_in": self.bytes_in,
                "bytes_out": self.bytes_out,
                "faults_injected": self.faults_injected,
                "registry_writes": registry_writes,
            }
