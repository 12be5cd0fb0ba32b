"""Benchmark: what "fast over the wire" means, in counts that do not vary from run to run.

    .venv/bin/python bench/run.py [--hosts N] [--quick] [--latency none|realistic]
                                  [--scenario KEY ...] [--json PATH] [--connection winrm|psrp]
                                  [--fleet N]

For every scenario (bench/scenarios.py) and both playbooks (the collection's role and a
hand-rolled win_regedit role) it starts a lab of N fresh hosts, prepares them, resets the
lab's counters, runs ansible-playbook once and prints, per host, the lab's own counts
(module runs, WinRM commands, HTTP requests, bytes in and out, registry writes), then the
run's wall time and the controller's peak RSS as secondary figures. Then it counts the bytes
of one engine run, split by part (bench/engine_bytes.py). docs/benchmarks.md explains the
method and records a run. `--fleet N` runs the fleet scenario instead (bench/fleet.py): N
hosts, a converge and a check-mode audit, controller CPU per host and by task.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from dataclasses import asdict
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make `bench` importable
    sys.path.insert(0, str(ROOT))

from bench import ansible_windows, engine_bytes, fleet  # noqa: E402
from bench.figures import (  # noqa: E402
    Measurement,
    engine_bytes_table,
    markdown_table,
    measure,
    ratio_table,
    values_off_standard,
)
from bench.labctl import LabSession  # noqa: E402
from bench.playbook_run import PlaybookRun, ansible_env, run_playbook  # noqa: E402
from bench.scenarios import DRIFT, HANDROLLED, OURS, PLAYBOOKS, Playbook, Scenario, by_key  # noqa: E402

DEFAULT_HOSTS = 10
QUICK_HOSTS = 3
LOG_DIR = ROOT / "reports" / "bench"


class BenchError(RuntimeError):
    pass


def _run(
    lab: LabSession, playbook: Playbook, env: dict, log: Path, check_mode: bool = False
) -> PlaybookRun:
    run = run_playbook(
        playbook.path, [*playbook.extra_inventories, lab.inventory], env, log, check_mode
    )
    if not run.ok or len(run.recap) != lab.hosts:
        raise BenchError(
            f"{playbook.name} failed (exit {run.returncode}, recap {run.recap}); see {log}"
        )
    return run


def standard_registry() -> dict:
    """The registry of a lab host with the lab standard applied (the `compliant` profile)."""
    with LabSession(1, profile="compliant") as lab:
        return lab.client.registry(lab.host_names[0])


def run_scenario(
    scenario: Scenario,
    hosts: int,
    latency: str,
    env: dict,
    standard: dict,
    seed_converged: bool = False,
    connection: str = "winrm",
) -> list[Measurement]:
    """One fresh lab per scenario; every playbook starts from freshly reset hosts.

    Converged hosts are converged by the playbook under test, or, with `seed_converged`
    (--quick), start as the lab's `compliant` profile: the same registry both playbooks
    converge to (tests/bench/test_bench_smoke.py checks it), one playbook run sooner.
    """
    measurements = []
    seeded = scenario.converge_first and seed_converged
    profile = "compliant" if seeded else "fresh"
    with LabSession(hosts, latency=latency, profile=profile, connection=connection) as lab:
        for playbook in PLAYBOOKS:
            slug = f"{scenario.key}-{'ours' if playbook is OURS else 'handrolled'}"
            lab.client.reset()
            if scenario.converge_first and not seeded:
                _run(lab, playbook, env, LOG_DIR / f"{slug}-prepare.log")
            if scenario.drift:
                for host in lab.host_names:
                    lab.client.edit_registry(host, list(DRIFT))
            lab.client.reset_counters()
            run = _run(lab, playbook, env, LOG_DIR / f"{slug}.log", scenario.check_mode)
            measurements.append(
                measure(
                    scenario.title,
                    playbook.name,
                    lab.client.counters(),
                    run.recap,
                    run.wall_s,
                    run.peak_rss_kib,
                    {
                        h: values_off_standard(lab.client.registry(h), standard)
                        for h in lab.host_names
                    },
                )
            )
            print(f"  {scenario.title}: {playbook.name} done in {run.wall_s:.1f} s", flush=True)
    return measurements


def measure_engine_run(env: dict) -> engine_bytes.EngineRunBytes:
    def run_into(playbook: Path, inventory: Path, log: Path) -> bool:
        return run_playbook(playbook, [inventory], env, LOG_DIR / log.name).ok

    return engine_bytes.measure(run_into)


def _header(hosts: int, latency: str, connection: str = "winrm") -> str:
    client = f"pywinrm {version('pywinrm')}"
    if connection == "psrp":
        client = f"connection psrp, pypsrp {version('pypsrp')}"
    return (
        f"winra.remote_assistance benchmark: {hosts} lab hosts, latency `{latency}`, "
        f"ansible-core {version('ansible-core')}, {client}, "
        f"ansible.windows {ansible_windows.installed_version()}, "
        f"Python {platform.python_version()}, forks 50, {os.cpu_count()} CPUs, "
        f"load average {os.getloadavg()[0]:.1f} at start"
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--hosts", type=int, help=f"lab hosts per scenario (default {DEFAULT_HOSTS})"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"{QUICK_HOSTS} hosts unless --hosts says otherwise, converged hosts seeded "
        "from the lab's compliant profile instead of converged by each playbook",
    )
    parser.add_argument(
        "--latency",
        choices=("none", "realistic"),
        default="none",
        help="lab latency: counts are the same; wall time differs",
    )
    parser.add_argument(
        "--scenario",
        action="append",
        metavar="KEY",
        help="converge, rerun, audit, audit-drift, converge-drift (default: all)",
    )
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument(
        "--connection",
        choices=("winrm", "psrp"),
        default="winrm",
        help="the connection both playbooks use: winrm (pywinrm) or psrp (pypsrp); "
        "the lab serves both (default winrm)",
    )
    parser.add_argument(
        "--fleet",
        type=int,
        metavar="N",
        help="run the fleet scenario on N hosts instead (bench/fleet.py)",
    )
    args = parser.parse_args(argv)  # fmt: skip
    args.hosts = args.hosts or (QUICK_HOSTS if args.quick else DEFAULT_HOSTS)
    if args.hosts < 1:
        parser.error("--hosts must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        scenarios = by_key(args.scenario)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    # `make venv` links the checkout into ./collections; do it here too for direct runs.
    subprocess.run([sys.executable, str(ROOT / "tools" / "link_collection.py")], check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    env = ansible_env([ROOT / "collections", ansible_windows.ensure()])
    if args.fleet:
        return _fleet(args, env)
    # Once: it records the load at the start.
    header = _header(args.hosts, args.latency, args.connection)
    print(header, flush=True)
    measurements: list[Measurement] = []
    standard = standard_registry()
    try:
        for scenario in scenarios:
            measurements += run_scenario(
                scenario,
                args.hosts,
                args.latency,
                env,
                standard,
                seed_converged=args.quick,
                connection=args.connection,
            )
    except BenchError as exc:
        print(f"benchmark stopped: {exc}", file=sys.stderr)
        return 1
    print()
    print("Per host; counts from the lab's counters, wall time and peak RSS for the whole run.")
    print()
    print(markdown_table(measurements))
    print()
    print(ratio_table(measurements, ours=OURS.name, baseline=HANDROLLED.name))
    one_run = measure_engine_run(env)
    print()
    print("Bytes of one engine run (check-mode win_offer_ra on one lab host).")
    print()
    print(engine_bytes_table(one_run))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {"header": header,
                 "measurements": [asdict(m) for m in measurements],
                 "engine_run_bytes": asdict(one_run)},
                indent=1,
            ),
            encoding="utf-8",
        )  # fmt: skip
    return 0


def _fleet(args: argparse.Namespace, env: dict) -> int:
    header = _header(args.fleet, args.latency)
    print(header, flush=True)
    runs = fleet.run_fleet(args.fleet, env, LOG_DIR, args.latency)
    print()
    print(fleet.report(runs))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"header": header, "fleet": fleet.as_json(runs)}
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0 if all(run.ok for run in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
