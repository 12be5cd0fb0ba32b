# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Per-task wall time and controller CPU, for the fleet benchmark (bench/fleet.py).

Not part of the collection. Enabled only by the benchmark (ANSIBLE_CALLBACKS_ENABLED); writes
a JSON list to the file named by BENCH_TASKS_JSON. CPU is that of ansible-playbook itself
plus every worker it has reaped (resource.getrusage of self and children), sampled at each
task start: with the linear strategy every worker of a task has ended before the next task
starts, so the difference between two samples is what that task cost the controller.
"""

from __future__ import annotations

import json
import os
import resource
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: bench_tasks
type: aggregate
short_description: per-task wall time and controller CPU for the benchmark
description: Writes one record per task to the file named by BENCH_TASKS_JSON.
requirements: [enable in the benchmark only]
"""


def _cpu_seconds() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + workers.ru_utime + workers.ru_stime


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._tasks = []
        self._open = None

    def _close(self) -> None:
        if self._open is not None:
            name, wall, cpu = self._open
            self._tasks.append(
                {"task": name, "wall_s": time.perf_counter() - wall, "cpu_s": _cpu_seconds() - cpu}
            )
            self._open = None

    def _start(self, name: str) -> None:
        self._close()
        self._open = (name, time.perf_counter(), _cpu_seconds())

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task.get_name())

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task.get_name())

    def v2_playbook_on_stats(self, stats):
        self._close()
        target = os.environ.get("BENCH_TASKS_JSON")
        if target:
            with open(target, "w", encoding="utf-8") as out:
                json.dump(self._tasks, out)
