"""`make demo`: a lab fleet, an audit, the converge, a second audit, and the drift report.

Starts ~20 varied emulated Windows hosts (python -m winra_lab, realistic latency), applies the
lab standard (examples/lab/group_vars/windows.yml) with the collection's own playbooks, and
prints what a person needs: which hosts drifted and how, what converged, and which hosts
could not converge and why. The lab is always stopped, whatever happens.
"""

from __future__ import annotations

import argparse
import functools
import json
import shutil
import sys
from pathlib import Path

from link_collection import link

from winra_lab.client import ControlClient, run_cli

REPO = Path(__file__).resolve().parent.parent
# The report's own wording, from the collection this checkout links (tools/link_collection.py);
# ansible-playbook run and logged as the benchmark runs it.
sys.path[:0] = [str(link(REPO).parents[2]), str(REPO)]
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (  # noqa: E402
    NOT_COMPLIANT,
    STATUSES,
    format_drift_item,
    format_gpo_conflict,
    host_summary,
)
from bench.playbook_run import PlaybookRun, ansible_env, run_playbook  # noqa: E402

STANDARD = REPO / "examples" / "lab" / "hosts.yml"
RUN_DIR = REPO / ".lab" / "demo"
REPORTS = REPO / "reports" / "demo"
ENGINE = "winra.remote_assistance.win_ra_state"
# A host with more differing values than this is summarised per setting (a fresh host has 16).
MAX_ITEMS = 4
# The rules backend on the Windows Servers of the mix: the second standard the demo shows.
RULES_BACKEND = {
    "offer_remote_assistance_firewall_backend": "rules",
    "offer_remote_assistance_firewall_profiles": ["domain"],
}


def lab(*args: str) -> str:
    """`python -m winra_lab --run-dir RUN_DIR ARGS...`; a failure ends the demo with its output."""
    try:
        return run_cli(RUN_DIR, *args)
    except RuntimeError as exc:
        raise SystemExit(str(exc)) from None


@functools.cache
def lab_client() -> ControlClient:
    """The control API of the lab `start` recorded in RUN_DIR (one lab per demo)."""
    return ControlClient.from_run_dir(RUN_DIR)


def playbook(name: str, log_name: str, *extra: str) -> PlaybookRun:
    """Run one of the collection's playbooks; the full output goes to a log file."""
    return run_playbook(
        REPO / "playbooks" / name,
        [STANDARD, RUN_DIR / "inventory.ini"],
        ansible_env([REPO / "collections"]),
        REPORTS / log_name,
        extra_args=extra,
    )


def audit(label: str, *extra: str) -> dict:
    directory = REPORTS / label
    print(f"\n== Audit {label} (check mode: nothing is written) ==", flush=True)
    settings = json.dumps({"winra_audit_report_dir": str(directory)})
    run = playbook("audit.yml", f"audit-{label}.log", "-e", settings, *extra)
    # Exit status 2 is the audit saying that it could not look at some hosts (they are in
    # the report); only a missing report is a failure of the demo.
    path = directory / "fleet-report.json"
    if not path.exists():
        raise SystemExit(f"the audit wrote no report; see {REPORTS / f'audit-{label}.log'}")
    report = json.loads(path.read_text(encoding="utf-8"))
    show_report(report, run.wall_s)
    return report


def show_report(report: dict, elapsed: float) -> None:
    from winra_lab.windows.profiles import PROFILES

    profiles = host_profiles()
    summary = report["summary"]
    totals = ", ".join(f"{summary[status]} {status}" for status in reversed(STATUSES))
    print(f"{summary['hosts']} hosts in {elapsed:.0f}s: {totals}")
    conflicts = summary.get("gpo_conflicts") or {}
    if conflicts.get("values"):
        print(
            f"Group Policy conflicts: {conflicts['values']} value(s) on {conflicts['hosts']} "
            "host(s): a domain GPO puts its value back at every refresh"
        )
    if summary["settings"]:
        print("drift by setting (hosts / values):")
        by_hosts = sorted(summary["settings"].items(), key=lambda kv: -kv[1]["hosts"])
        for setting, counts in by_hosts:
            print(f"  {setting:<22} {counts['hosts']:>3} / {counts['values']}")
    for record in report["hosts"]:
        if record["status"] == "compliant" and not record.get("gpo_conflicts"):
            continue
        profile = profiles.get(record["host"], "?")
        print(
            f"  {record['host']:<20} {record['status']:<11} [{profile}: {PROFILES.get(profile, '')}]"
        )
        if record["status"] in NOT_COMPLIANT and len(record["drift"]) <= MAX_ITEMS:
            lines = [f"not functional: {p}" for p in record["functional_problems"]]
            lines += [format_drift_item(item) for item in record["drift"]]
            lines += [f"gpo conflict: {format_gpo_conflict(c)}" for c in record["gpo_conflicts"]]
            lines += [f"warning: {warning}" for warning in record["warnings"]]
        else:
            lines = host_summary(record).splitlines()
        for line in lines:
            print(f"      {line}")


@functools.cache
def host_profiles() -> dict[str, str]:
    hosts = lab_client().hosts()
    return {host["name"]: host["profile"] for host in hosts}


def rule_writes(client: ControlClient) -> int:
    """Firewall rule writes on the whole lab since its hosts were seeded (the lab's own count;
    rules are not registry values, so the registry counters never see them)."""
    return sum(client.host(host["name"])["state"]["firewall_writes"] for host in client.hosts())


def writes_since(client: ControlClient, rules_before: int) -> str:
    """Every kind of write the lab counted: registry values since the last counter reset,
    firewall rules since `rules_before` (rule_writes() then)."""
    counters = client.counters()
    values = sum(c["registry_writes"] for c in counters.values())
    rules = rule_writes(client) - rules_before
    return f"{values} registry value writes, {rules} firewall rule writes"


def converge(title: str, log_name: str, *extra: str) -> None:
    print(f"\n== Converge: {title} ==", flush=True)
    lab_client().reset_counters()
    rules_before = rule_writes(lab_client())
    run = playbook("site.yml", log_name, *extra)
    counters = lab_client().counters()
    runs = sum(c["module_runs"].get(ENGINE, 0) for c in counters.values())
    print(
        f"done in {run.wall_s:.0f}s: {runs} engine runs, {writes_since(lab_client(), rules_before)}"
        + ("" if run.returncode == 0 else " (some hosts failed: see the audit below)")
    )


def servers() -> list[str]:
    return [name for name, profile in host_profiles().items() if profile.startswith("server")]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--latency", choices=("none", "realistic"), default="realistic")
    args = parser.parse_args()

    shutil.rmtree(REPORTS, ignore_errors=True)
    REPORTS.mkdir(parents=True)
    if (RUN_DIR / "run.json").exists():
        lab("stop")
    print(f"Starting a lab of {args.hosts} emulated Windows hosts ({args.latency} latency)...")
    print(
        lab(
            "start",
            "--hosts",
            str(args.hosts),
            "--mix",
            "--latency",
            args.latency,
            "--inventory",
            str(RUN_DIR / "inventory.ini"),
        ).strip()
    )
    try:
        lab_client().reset_counters()
        rules_before = rule_writes(lab_client())
        audit("before")
        print(f"writes during the audit: {writes_since(lab_client(), rules_before)}")
        converge("playbooks/site.yml with the lab standard", "site.log")
        lab_client().reset_counters()
        rules_before = rule_writes(lab_client())
        after = audit("after")
        print(f"writes during the audit: {writes_since(lab_client(), rules_before)}")

        # The same role with the built-in firewall rules instead of the KB's policy lists:
        # where the Remote Assistance feature is missing, it must fail and open nothing.
        rules = ["-e", json.dumps(RULES_BACKEND), "--limit", ",".join(servers())]
        converge("rules backend on the Windows Servers", "site-rules.log", *rules)
        rules_report = audit("rules", *rules)
    finally:
        lab("stop")
        print("\nlab stopped")

    left = sum(r["summary"]["hosts"] - r["summary"]["compliant"] for r in (after, rules_report))
    print(f"\nReports (JSON, Markdown and HTML) and playbook logs: {REPORTS}")
    for label in ("before", "after", "rules"):
        print(f"  {REPORTS / label / 'fleet-report.md'}  (and fleet-report.html)")
    if left:
        print(
            f"{left} host(s) could not converge, by design of their lab profile: "
            "their reasons are listed above."
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
