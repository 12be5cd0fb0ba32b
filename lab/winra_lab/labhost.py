"""One emulated Windows host: its state, address, counters, faults and open shells."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from winra_lab.counters import HostCounters
from winra_lab.latency import LatencyModel
from winra_lab.recorder import Recorder
from winra_lab.wire.winrs import ShellTable
from winra_lab.wire.wire_faults import WireFaults


@dataclass(eq=False)
class LabHost:
    name: str  # inventory name, e.g. ws001.contoso.test
    index: int  # 1-based position in the fleet
    profile: str
    address: str
    port: int
    state: object  # winra_lab.windows.hoststate.HostState
    latency: LatencyModel = field(default_factory=LatencyModel)
    counters: HostCounters = field(default_factory=HostCounters)
    wire_faults: WireFaults = field(default_factory=WireFaults)
    shells: ShellTable = field(default_factory=ShellTable)
    # Serialises module runs on this host; the host state is not thread-safe.
    lock: threading.RLock = field(default_factory=threading.RLock)
    recorder: Recorder | None = None  # saves every command's payload when set

    @property
    def short_name(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def endpoint(self) -> str:
        return f"http://{self.address}:{self.port}/wsman"

    def counters_snapshot(self) -> dict:
        """The traffic counters with this host's registry writes beside them."""
        return self.counters.snapshot(int(getattr(self.state.registry, "writes", 0)))

    def reset_counters(self) -> None:
        self.counters.reset()
        with self.lock:
            self.state.registry.writes = 0

    def summary(self) -> dict:
        return {
            "name": self.name,
            "index": self.index,
            "profile": self.profile,
            "address": self.address,
            "port": self.port,
            "endpoint": self.endpoint,
            "wire_faults": self.wire_faults.to_json(),
        }

    def dump(self) -> dict:
        with self.lock:
            state = self.state.to_json()
        return {
            **self.summary(),
            "state": state,
            "counters": self.counters_snapshot(),
            "open_shells": self.shells.count(),
        }
