"""Fleet scenario: what one host costs the controller and the wire at fleet size.

    .venv/bin/python bench/run.py --fleet N        (make bench BENCH_ARGS='--fleet 1000')

One lab of N fresh hosts. For each playbook (the collection's role, the hand-rolled
win_regedit role), from freshly reset hosts: a converge (every host drifted: fresh), then a
check-mode audit of the converged hosts (every host compliant). Ours audits with
playbooks/audit.yml (role in check mode plus the fleet report); the hand-rolled one runs its
site.yml with --check. Printed per run: WinRM commands per host (the lab's counters), wall
time, controller CPU per host (ansible-playbook and every worker it forked: os.wait4's rusage
of the one child), and the same CPU and wall time split by task (bench/callback_plugins/
bench_tasks.py). The lab runs in its own process, so its CPU is not counted.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench.labctl import LabSession
from bench.playbook_run import PlaybookRun, run_playbook
from bench.scenarios import HANDROLLED, OURS

ROOT = Path(__file__).resolve().parent.parent
CALLBACKS = Path(__file__).resolve().parent / "callback_plugins"
AUDIT = ROOT / "playbooks" / "audit.yml"


@dataclass(frozen=True)
class FleetRun:
    playbook: str
    run: str
    hosts: int
    ok: bool
    commands_per_host: tuple[int, int]  # min, max over hosts
    module_runs_per_host: tuple[int, int]
    wall_s: float
    cpu_s: float
    tasks: list = field(default_factory=list)  # {task, wall_s, cpu_s}

    @property
    def cpu_ms_per_host(self) -> float:
        return 1000 * self.cpu_s / self.hosts


def _spread(counters: dict, key: str) -> tuple[int, int]:
    values = [snapshot[key] for snapshot in counters.values()]
    return (min(values), max(values)) if values else (0, 0)


def run_measured(
    playbook: Path, inventories: list, env: dict, log: Path, check_mode: bool, extra_args: list
) -> tuple[PlaybookRun, list]:
    """ansible-playbook once, with the task callback: (the run, per-task records)."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        tasks_file = Path(handle.name)
    env = dict(
        env,
        ANSIBLE_CALLBACK_PLUGINS=str(CALLBACKS),
        ANSIBLE_CALLBACKS_ENABLED="bench_tasks",
        BENCH_TASKS_JSON=str(tasks_file),
    )
    try:
        run = run_playbook(playbook, inventories, env, log, check_mode, extra_args)
        tasks = json.loads(tasks_file.read_text(encoding="utf-8") or "[]")
    finally:
        tasks_file.unlink(missing_ok=True)
    return run, tasks


def run_fleet(hosts: int, env: dict, log_dir: Path, latency: str = "none") -> list[FleetRun]:
    runs = []
    with (
        LabSession(hosts, latency=latency, profile="fresh") as lab,
        tempfile.TemporaryDirectory(prefix="winra-fleet-report-") as report_dir,
    ):
        for playbook in (OURS, HANDROLLED):
            slug = "ours" if playbook is OURS else "handrolled"
            lab.client.reset()
            for audit, title in (
                (False, "converge, drifted"),
                (True, "check-mode audit, compliant"),
            ):
                lab.client.reset_counters()
                our_audit = audit and playbook is OURS
                report_vars = ["-e", json.dumps({"winra_audit_report_dir": report_dir})]
                run, tasks = run_measured(
                    AUDIT if our_audit else playbook.path,
                    [*playbook.extra_inventories, lab.inventory],
                    env,
                    log_dir / f"fleet-{hosts}-{slug}-{'audit' if audit else 'converge'}.log",
                    audit,
                    report_vars if our_audit else [],
                )
                counters = lab.client.counters()
                runs.append(
                    FleetRun(
                        playbook.name,
                        title,
                        hosts,
                        run.ok and len(run.recap) == hosts,
                        _spread(counters, "commands"),
                        _spread(counters, "module_runs_total"),
                        run.wall_s,
                        run.cpu_s,
                        tasks,
                    )
                )
                print(f"  fleet {hosts}: {playbook.name}, {title}: {run.wall_s:.1f} s", flush=True)
    return runs


def _range(pair: tuple[int, int]) -> str:
    low, high = pair
    return str(low) if low == high else f"{low}–{high}"


def fleet_table(runs: list[FleetRun]) -> str:
    lines = [
        "| playbook | run | hosts | ok | WinRM commands / host | module runs / host | wall s "
        "| controller CPU s | CPU ms / host |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r.playbook} | {r.run} | {r.hosts} | {'yes' if r.ok else 'NO'} "
            f"| {_range(r.commands_per_host)} | {_range(r.module_runs_per_host)} "
            f"| {r.wall_s:.1f} | {r.cpu_s:.1f} | {r.cpu_ms_per_host:.1f} |"
        )
    return "\n".join(lines)


def task_table(runs: list[FleetRun]) -> str:
    lines = [
        "| playbook | run | task | wall s | CPU ms / host |",
        "|---|---|---|---:|---:|",
    ]
    for r in runs:
        rows = [(_short(task["task"]), task["wall_s"], task["cpu_s"]) for task in r.tasks]
        # Start-up (interpreter, inventory, plugin loading) and the end of the run.
        rows.append(
            (
                "(outside any task)",
                r.wall_s - sum(row[1] for row in rows),
                r.cpu_s - sum(row[2] for row in rows),
            )
        )
        for name, wall, cpu in rows:
            lines.append(
                f"| {r.playbook} | {r.run} | {name} | {wall:.1f} | {1000 * cpu / r.hosts:.1f} |"
            )
    return "\n".join(lines)


def _short(task: str) -> str:
    """`role : name` without the role's collection prefix; the arg-spec task by its kind."""
    name = task.split(" : ", 1)[-1]
    if name.startswith("Validating arguments against arg spec"):
        return "role argument spec validation"
    return name


def report(runs: list[FleetRun]) -> str:
    return (
        "Fleet: per host from the lab's counters; wall time and controller CPU for the whole "
        "run (ansible-playbook and its workers; the lab's own process not included).\n\n"
        + fleet_table(runs)
        + "\n\nSplit by task (CPU sampled at each task start: ansible-playbook and its reaped "
        "workers).\n\n" + task_table(runs)
    )


def as_json(runs: list[FleetRun]) -> list[dict]:
    return [dict(asdict(r), cpu_ms_per_host=r.cpu_ms_per_host) for r in runs]
