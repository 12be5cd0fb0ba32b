"""What the benchmark compares: two ways to reach the lab standard, in four situations.

Both playbooks aim at the same end state, the lab standard of examples/lab/group_vars/
windows.yml (domain CONTOSO, helpers `CONTOSO\\Helpdesk` and `CONTOSO\\Tier2 Support`,
control, EnableDCOM Y, the firewall policy lists with the KB's legacy entries in the
domain and standard profiles). tests/bench/test_bench_smoke.py checks that they do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
FIREWALL = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
KB_PORT_135 = "135:TCP:*:Enabled:Offer Remote Assistance"


@dataclass(frozen=True)
class Playbook:
    name: str
    path: Path
    # Inventories besides the lab's own (ours takes the lab standard from group_vars there).
    extra_inventories: tuple[Path, ...] = ()


OURS = Playbook(
    "winra role",
    ROOT / "playbooks" / "site.yml",
    (ROOT / "examples" / "lab" / "hosts.yml",),
)
HANDROLLED = Playbook("hand-rolled win_regedit", ROOT / "bench" / "handrolled" / "site.yml")
PLAYBOOKS = (OURS, HANDROLLED)


@dataclass(frozen=True)
class Scenario:
    key: str
    title: str
    converge_first: bool  # converge with the same playbook before measuring
    drift: bool  # then change some values behind its back
    check_mode: bool


SCENARIOS = (
    Scenario("converge", "1 converge fresh hosts", False, False, False),
    Scenario("rerun", "2 re-run, converged", True, False, False),
    Scenario("audit", "3 check mode, converged", True, False, True),
    Scenario("audit-drift", "4 check mode, drifted", True, True, True),
    # Beyond cost: what each playbook repairs. The writes column shows what it changed.
    Scenario("converge-drift", "5 converge drifted hosts", True, True, False),
)

# Seeded on every host through the lab's control API (as "someone else": not counted as
# writes). The extra helper is a drift the hand-rolled playbook cannot see: it only adds.
DRIFT: tuple[dict, ...] = (
    {"op": "set", "path": TS, "name": "fAllowUnsolicitedFullControl", "type": "REG_DWORD", "data": 0},
    {"op": "delete", "path": f"{TS}\\RAUnsolicit", "name": "CONTOSO\\Tier2 Support"},
    {"op": "set", "path": f"{TS}\\RAUnsolicit", "name": "CONTOSO\\Contractors",
     "type": "REG_SZ", "data": "CONTOSO\\Contractors"},
    {"op": "set", "path": OLE, "name": "EnableDCOM", "type": "REG_SZ", "data": "N"},
    {"op": "delete", "path": f"{FIREWALL}\\StandardProfile\\GloballyOpenPorts\\List",
     "name": KB_PORT_135},
)  # fmt: skip


def by_key(keys: list[str] | None) -> tuple[Scenario, ...]:
    if not keys:
        return SCENARIOS
    known = {s.key: s for s in SCENARIOS}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; choose from {sorted(known)}")
    return tuple(known[k] for k in keys)
