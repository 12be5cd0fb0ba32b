"""Run ansible-playbook once and measure what the controller paid: wall time and peak RSS.

Peak RSS comes from os.wait4 on this one child: Linux reports the largest resident set of
the child and of every descendant it reaped (ansible-playbook's fork workers), the same
figure `resource.getrusage(RUSAGE_CHILDREN).ru_maxrss` gives, but per run. RUSAGE_CHILDREN
itself is a high-water mark over every child this process ever reaped, so a second run
would inherit the first run's peak.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ANSIBLE_PLAYBOOK = BIN / "ansible-playbook"

RECAP_LINE = re.compile(
    r"^(?P<host>\S+)\s*:\s*ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+"
    r"unreachable=(?P<unreachable>\d+)\s+failed=(?P<failed>\d+)"
)


@dataclass(frozen=True)
class PlaybookRun:
    returncode: int
    wall_s: float
    peak_rss_kib: int
    recap: dict[str, dict[str, int]] = field(default_factory=dict)
    log: Path | None = None
    # User + system CPU of ansible-playbook and every worker it reaped (same rusage).
    cpu_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and all(
            host["failed"] == 0 and host["unreachable"] == 0 for host in self.recap.values()
        )


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """PLAY RECAP lines -> {host: {ok, changed, unreachable, failed}}."""
    recap = {}
    in_recap = False
    for line in output.splitlines():
        if line.startswith("PLAY RECAP"):
            in_recap = True
            continue
        match = RECAP_LINE.match(line) if in_recap else None
        if match:
            counts = match.groupdict()
            host = counts.pop("host")
            recap[host] = {k: int(v) for k, v in counts.items()}
    return recap


def ansible_env(collections_paths: list[Path]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"),
        ANSIBLE_COLLECTIONS_PATH=os.pathsep.join(str(p) for p in collections_paths),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_FORCE_COLOR="0",
        ANSIBLE_RETRY_FILES_ENABLED="0",
        # The bench's figures must not depend on a user's ~/.ansible.cfg callbacks.
        ANSIBLE_STDOUT_CALLBACK="default",
        # The venv's tools first, whatever shell started us.
        PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    env.pop("ANSIBLE_CALLBACKS_ENABLED", None)
    return env


def run_playbook(
    playbook: Path,
    inventories: list[Path],
    env: dict[str, str],
    log: Path,
    check_mode: bool = False,
    extra_args: Sequence[str] = (),
) -> PlaybookRun:
    """The run's full output goes to `log`; `extra_args` are further ansible-playbook options."""
    argv = [str(ANSIBLE_PLAYBOOK), str(playbook)]
    for inventory in inventories:
        argv += ["-i", str(inventory)]
    if check_mode:
        argv.append("--check")
    argv += extra_args
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w", encoding="utf-8") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )
        _pid, status, usage = os.wait4(process.pid, 0)
        wall_s = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    output = log.read_text(encoding="utf-8", errors="replace")
    return PlaybookRun(
        returncode=process.returncode,
        wall_s=wall_s,
        peak_rss_kib=usage.ru_maxrss,  # KiB on Linux
        recap=parse_recap(output),
        log=log,
        cpu_s=usage.ru_utime + usage.ru_stime,
    )
