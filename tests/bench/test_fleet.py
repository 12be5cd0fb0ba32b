"""The fleet scenario's figures: per host, split by task, with start-up shown, not hidden."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fleet import FleetRun, fleet_table, task_table  # noqa: E402

ARGSPEC = "ns.c.role : Validating arguments against arg spec 'main' - Receive offers"


def _run(**overrides) -> FleetRun:
    values = dict(
        playbook="winra role",
        run="converge, drifted",
        hosts=4,
        ok=True,
        commands_per_host=(2, 2),
        module_runs_per_host=(2, 2),
        wall_s=10.0,
        cpu_s=2.0,
        tasks=[
            {"task": ARGSPEC, "wall_s": 1.0, "cpu_s": 0.4},
            {"task": "ns.c.role : Offer Remote Assistance standard", "wall_s": 6.0, "cpu_s": 1.2},
        ],
    )
    values.update(overrides)
    return FleetRun(**values)


def test_cpu_is_reported_per_host_and_hosts_that_differ_show_a_range():
    table = fleet_table([_run(), _run(commands_per_host=(1, 3))])
    rows = table.splitlines()[2:]
    assert rows[0].endswith("| 2 | 2 | 10.0 | 2.0 | 500.0 |")
    assert "| 1–3 |" in rows[1]


def test_tasks_are_split_and_the_rest_of_the_run_is_its_own_row():
    rows = task_table([_run()]).splitlines()[2:]
    assert [row.split(" | ")[2] for row in rows] == [
        "role argument spec validation",
        "Offer Remote Assistance standard",
        "(outside any task)",
    ]
    # 2.0 s CPU in all, 1.6 s in tasks: 0.4 s outside them, 100 ms per host.
    assert rows[2].endswith("| 3.0 | 100.0 |")


def test_the_callback_records_each_task_and_writes_them(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location(
        "bench_tasks", ROOT / "bench" / "callback_plugins" / "bench_tasks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    target = tmp_path / "tasks.json"
    monkeypatch.setenv("BENCH_TASKS_JSON", str(target))
    callback = module.CallbackModule()

    class Task:
        def __init__(self, name):
            self.name = name

        def get_name(self):
            return self.name

    callback.v2_playbook_on_task_start(Task("first"), False)
    sum(range(200000))
    callback.v2_playbook_on_task_start(Task("second"), False)
    callback.v2_playbook_on_stats(None)
    records = json.loads(target.read_text(encoding="utf-8"))
    assert [r["task"] for r in records] == ["first", "second"]
    assert all(r["wall_s"] >= 0 and r["cpu_s"] >= 0 for r in records)
