"""Driving ansible-playbook against a lab and reading the lab's own state back.

Every assertion of the end-to-end tests is made on what the lab holds (its control API),
not only on what the modules say they did.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:  # the benchmark's PLAY RECAP parser, shared rather than copied
    sys.path.insert(0, str(REPO))

from bench.playbook_run import parse_recap  # noqa: E402

VENV_BIN = Path(sys.executable).parent
PLAYBOOKS = REPO / "playbooks"
# Carries the lab standard (group_vars/windows.yml); the lab's inventory carries the hosts.
STANDARD_INVENTORY = REPO / "examples" / "lab" / "hosts.yml"

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RA_UNSOLICIT = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
FIREWALL = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
FIREWALL_PROFILES = ("DomainProfile", "StandardProfile")
ENGINE = "winra.remote_assistance.win_ra_state"

HELPERS = ("CONTOSO\\Helpdesk", "CONTOSO\\Tier2 Support")
KB_PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
KB_PROGRAMS = (
    "%WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance",
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpsvc.exe:*:Enabled:Offer Remote Assistance",
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
    "Remote Assistance \u2013 Windows Messenger and Voice",
)
# The built-in rules Offer RA needs, by Name, and the role variables that select them.
OFFER_RA_RULES = (
    "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
    "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
)
RULES_MODE = {
    "offer_remote_assistance_firewall_backend": "rules",
    "offer_remote_assistance_firewall_profiles": ["domain"],
}
# Remote Desktop policy values that share the Terminal Services key (SPEC: never touched).
UNRELATED_TS = ("fDenyTSConnections", "MaxIdleTime", "fPromptForPassword")


def sz(data: str) -> dict:
    return {"type": "REG_SZ", "data": data}


def dword(data: int) -> dict:
    return {"type": "REG_DWORD", "data": data}


def standard_values() -> dict[tuple[str, str], dict]:
    """Every value SPEC.md prescribes for the lab standard, written out from SPEC itself."""
    values = {
        (TS, "fAllowUnsolicited"): dword(1),
        (TS, "fAllowUnsolicitedFullControl"): dword(1),
        (OLE, "EnableDCOM"): sz("Y"),
    }
    values.update({(RA_UNSOLICIT, helper): sz(helper) for helper in HELPERS})
    for profile in FIREWALL_PROFILES:
        base = f"{FIREWALL}\\{profile}"
        values[(f"{base}\\GloballyOpenPorts", "Enabled")] = dword(1)
        values[(f"{base}\\GloballyOpenPorts\\List", KB_PORT)] = sz(KB_PORT)
        values[(f"{base}\\AuthorizedApplications", "Enabled")] = dword(1)
        for program in KB_PROGRAMS:
            values[(f"{base}\\AuthorizedApplications\\List", program)] = sz(program)
    return values


# ------------------------------------------------------------------ the lab's own state


def folded_registry(dump: dict) -> dict[tuple[str, str], dict]:
    """A registry dump as {(key, value name) casefolded: {type, data}}."""
    return {
        (path.casefold(), name.casefold()): value
        for path, values in dump.items()
        for name, value in values.items()
    }


def value_in(dump: dict, path: str, name: str) -> dict | None:
    return folded_registry(dump).get((path.casefold(), name.casefold()))


def values_under(dump: dict, path: str) -> dict[str, dict]:
    """The values of one key, by stored name."""
    for stored, values in dump.items():
        if stored.casefold() == path.casefold():
            return dict(values)
    return {}


def rules_by_name(rules: list[dict]) -> dict[str, dict]:
    return {rule["name"]: rule for rule in rules}


def set_op(path: str, name: str, value: dict) -> dict:
    return {"op": "set", "path": path, "name": name, **value}


def delete_op(path: str, name: str) -> dict:
    return {"op": "delete", "path": path, "name": name}


def writes(counters: dict) -> int:
    return counters["registry_writes"]


def engine_runs(counters: dict) -> tuple[int, int]:
    """(real runs, check-mode runs) of the host engine."""
    return counters["module_runs"].get(ENGINE, 0), counters["check_mode_runs"].get(ENGINE, 0)


# ------------------------------------------------------------------ ansible-playbook


@dataclass
class PlaybookRun:
    returncode: int
    output: str
    recap: dict[str, dict[str, int]]

    def failed_hosts(self) -> set[str]:
        return {h for h, c in self.recap.items() if c.get("failed") or c.get("unreachable")}

    def changed_hosts(self) -> set[str]:
        return {h for h, c in self.recap.items() if c.get("changed")}


def ansible_env(tmp_dir: Path, bin_dir: Path = VENV_BIN) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_FORCE_COLOR": "0",
            "ANSIBLE_LOCAL_TEMP": str(tmp_dir / "ansible-local"),
            "ANSIBLE_HOME": str(tmp_dir / "ansible-home"),
            "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
            "PYTHONWARNINGS": "ignore",
        }
    )
    return env


def run_playbook(
    playbook: str,
    inventory: Path,
    tmp_dir: Path,
    extra_vars: dict | None = None,
    forks: int | None = None,
    limit: str | None = None,
    extra_args: tuple[str, ...] = (),
    timeout: float = 600,
    bin_dir: Path = VENV_BIN,
) -> PlaybookRun:
    """ansible-playbook from `bin_dir` (another ansible-core's venv for compatibility runs)."""
    command = [
        str(bin_dir / "ansible-playbook"),
        "-i",
        str(STANDARD_INVENTORY),
        "-i",
        str(inventory),
        str(PLAYBOOKS / playbook),
    ]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    if forks:
        command += ["--forks", str(forks)]
    if limit:
        command += ["--limit", limit]
    command += list(extra_args)
    done = subprocess.run(
        command,
        cwd=REPO,
        env=ansible_env(tmp_dir, bin_dir),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    output = done.stdout + done.stderr
    return PlaybookRun(done.returncode, output, parse_recap(done.stdout))


def run_audit(inventory: Path, tmp_dir: Path, **kwargs) -> tuple[PlaybookRun, dict, str]:
    """audit.yml; returns the run, the JSON report and the Markdown report."""
    report_dir = tmp_dir / "reports"
    extra_vars = {"winra_audit_report_dir": str(report_dir), **kwargs.pop("extra_vars", {})}
    run = run_playbook("audit.yml", inventory, tmp_dir, extra_vars=extra_vars, **kwargs)
    json_path, md_path = report_dir / "fleet-report.json", report_dir / "fleet-report.md"
    assert json_path.exists(), f"audit wrote no report:\n{run.output[-4000:]}"
    report = json.loads(json_path.read_text(encoding="utf-8"))
    return run, report, md_path.read_text(encoding="utf-8")


def records_by_host(report: dict) -> dict[str, dict]:
    return {record["host"]: record for record in report["hosts"]}


# ------------------------------------------------------------------ labs


class RunningLab:
    """A started in-process lab with its inventory and control client."""

    def __init__(self, lab):
        self.lab = lab
        self.client = lab.client
        self.inventory = lab.inventory_path

    @property
    def names(self) -> list[str]:
        return [host.name for host in self.lab.hosts]

    def by_profile(self, profile: str) -> list[str]:
        return [host.name for host in self.lab.hosts if host.profile == profile]


def start_lab(profiles: list[str], inventory: Path, **options) -> RunningLab:
    """A lab of one host per profile, on loopback, on free ports."""
    from winra_lab.lab import Lab

    lab = Lab(hosts=len(profiles), profiles=profiles, inventory_path=inventory, **options)
    lab.start()
    return RunningLab(lab)
