"""How long an emulated host takes to answer, so fleet timings resemble real hosts.

On Windows every module run starts a PowerShell process (hundreds of milliseconds) and
the module itself costs more; a lab that answers in microseconds hides the cost of round
trips. `none` is the default so that tests stay fast.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class LatencyModel:
    request_ms: int = 0  # every WS-Man request (HTTP + WinRM service)
    command_ms: int = 0  # every command: PowerShell start-up and exec wrapper
    module_ms: dict[str, int] = field(default_factory=dict)  # extra per module FQCN

    def command_cost_s(self, module: str | None) -> float:
        return (self.command_ms + self.module_ms.get(module or "", 0)) / 1000.0

    def to_json(self) -> dict:
        return asdict(self)


PRESETS = {
    "none": LatencyModel(),
    # Rough shape of a Windows 10 VM: powershell.exe start plus Ansible.Basic compile is
    # most of it; win_regedit does one registry operation per run, the engine a batch.
    "realistic": LatencyModel(
        request_ms=2,
        command_ms=450,
        module_ms={
            "winra.remote_assistance.win_ra_state": 120,
            "ansible.windows.win_regedit": 90,
            "ansible.windows.win_ping": 10,
        },
    ),
}


def preset(name: str) -> LatencyModel:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(
            f"unknown latency preset {name!r}; choose from {sorted(PRESETS)}"
        ) from None
