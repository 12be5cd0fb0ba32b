"""Turn the lab's per-host counters into the benchmark's figures and Markdown tables.

Pure: no I/O. The counts are per host, because a uniform fleet costs each host the same;
when hosts differ the range `min–max` is shown instead of hiding it behind a mean.
"""

from __future__ import annotations

from dataclasses import dataclass

# (counter key in the lab's snapshot, column heading)
COUNTS: tuple[tuple[str, str], ...] = (
    ("module_runs_total", "module runs"),
    ("commands", "WinRM commands"),
    ("requests", "HTTP requests"),
    ("bytes_in", "KiB in"),
    ("bytes_out", "KiB out"),
    ("registry_writes", "registry writes"),
)
BYTE_COUNTERS = frozenset({"bytes_in", "bytes_out"})
# Not a lab counter: how many registry values differ from the standard after the run.
OFF_STANDARD = ("values_off_standard", "values off standard after")


# Keys whose values are each host's own (its computer name), not part of any standard.
HOST_OWN_KEYS = {"hklm:\\system\\currentcontrolset\\control\\computername\\activecomputername"}


def values_off_standard(registry: dict, standard: dict) -> int:
    """Values (in a lab registry dump) missing, extra, or of other type/data than `standard`.

    Key paths and value names compare case-insensitively, as the registry does.
    """

    def flat(dump: dict) -> dict:
        return {
            (path.casefold(), name.casefold()): (value["type"], value["data"])
            for path, values in dump.items()
            if path.casefold() not in HOST_OWN_KEYS
            for name, value in values.items()
        }

    mine, wanted = flat(registry), flat(standard)
    return sum(1 for key in mine.keys() | wanted.keys() if mine.get(key) != wanted.get(key))


@dataclass(frozen=True)
class Measurement:
    scenario: str
    playbook: str
    hosts: int
    per_host: dict[str, tuple[int, int]]  # counter -> (min, max) over hosts
    totals: dict[str, int]  # counter -> sum over hosts
    changed_per_host: tuple[int, int]  # tasks reported changed (PLAY RECAP), min and max
    wall_s: float
    peak_rss_kib: int

    def mean(self, counter: str) -> float:
        return self.totals[counter] / self.hosts

    def count(self, counter: str) -> int:
        """The per-host figure when every host agrees (the expected case)."""
        low, high = self.per_host[counter]
        if low != high:
            raise ValueError(f"{counter} differs between hosts: {low}–{high}")
        return low


def measure(
    scenario: str,
    playbook: str,
    counters: dict[str, dict],
    recap: dict[str, dict[str, int]],
    wall_s: float,
    peak_rss_kib: int,
    off_standard: dict[str, int] | None = None,
) -> Measurement:
    """`counters` is the lab's GET /counters answer: host name -> counter snapshot;
    `off_standard` maps host name -> values_off_standard after the run."""
    if not counters:
        raise ValueError("no hosts in the counters")
    per_host, totals = {}, {}
    for key, _heading in COUNTS:
        values = [snapshot[key] for snapshot in counters.values()]
        per_host[key] = (min(values), max(values))
        totals[key] = sum(values)
    if off_standard is not None:
        values = [off_standard[host] for host in counters]
        per_host[OFF_STANDARD[0]] = (min(values), max(values))
        totals[OFF_STANDARD[0]] = sum(values)
    changed = [recap.get(host, {}).get("changed", 0) for host in counters]
    return Measurement(
        scenario=scenario,
        playbook=playbook,
        hosts=len(counters),
        per_host=per_host,
        totals=totals,
        changed_per_host=(min(changed), max(changed)),
        wall_s=wall_s,
        peak_rss_kib=peak_rss_kib,
    )


def _span(low: float, high: float, fmt: str = "{:,.0f}") -> str:
    shown_low, shown_high = fmt.format(low), fmt.format(high)
    return shown_low if shown_low == shown_high else f"{shown_low}–{shown_high}"


def _cell(m: Measurement, key: str) -> str:
    if key in BYTE_COUNTERS:
        # Hosts from 127.0.0.10 on send one byte more per request (a longer Host header),
        # so bytes are a fleet mean; every other count is the same on every host.
        return f"{m.mean(key) / 1024:,.1f}"
    return _span(*m.per_host[key])


def markdown_table(measurements: list[Measurement]) -> str:
    """Counts per host (deterministic), then the run's wall time and controller peak RSS."""
    headings = ["scenario", "playbook"]
    headings += [h + (" /host (mean)" if k in BYTE_COUNTERS else " /host") for k, h in COUNTS]
    headings += ["changed tasks /host", OFF_STANDARD[1] + " /host", "wall s", "peak RSS MiB"]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for m in measurements:
        cells = [m.scenario, m.playbook, *(_cell(m, k) for k, _h in COUNTS)]
        off = m.per_host.get(OFF_STANDARD[0])
        cells += [_span(*m.changed_per_host), _span(*off) if off else "–"]
        cells += [f"{m.wall_s:.1f}", f"{m.peak_rss_kib / 1024:.0f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def ratio_table(measurements: list[Measurement], ours: str, baseline: str) -> str:
    """How many times the baseline's per-host cost ours is, scenario by scenario."""
    by_scenario: dict[str, dict[str, Measurement]] = {}
    for m in measurements:
        by_scenario.setdefault(m.scenario, {})[m.playbook] = m
    keys = [("module_runs_total", "module runs"), ("requests", "HTTP requests"),
            ("bytes_in", "bytes in"), ("bytes_out", "bytes out")]  # fmt: skip
    headings = ["scenario", *(f"{h}: {baseline} ÷ {ours}" for _k, h in keys)]
    lines = ["| " + " | ".join(headings) + " |", "|" + "---|" * len(headings)]
    for scenario, pair in by_scenario.items():
        if ours not in pair or baseline not in pair:
            continue
        cells = [scenario]
        for key, _h in keys:
            mine, theirs = pair[ours].mean(key), pair[baseline].mean(key)
            cells.append(f"{theirs / mine:.1f}×" if mine else "–")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def engine_bytes_table(run) -> str:
    """The bytes one engine run sends (`run` is a bench.engine_bytes.EngineRunBytes)."""
    lines = ["| what | bytes sent | share of stdin | script source bytes |", "|---|---|---|---|"]
    for kind, part in run.parts.items():
        source = "–" if part.source is None else f"{part.source:,}"
        lines.append(f"| {kind} | {part.sent:,} | {part.sent / run.stdin:.0%} | {source} |")
    lines.append(f"| **stdin of the engine run** | **{run.stdin:,}** | 100% | |")
    lines.append(f"| command line (PowerShell -EncodedCommand) | {run.command_line:,} | | |")
    lines.append(
        f"| **HTTP bytes in for the run** ({run.requests} requests; lab counter) "
        f"| **{run.wire_in:,}** | | |"
    )
    lines.append(f"| HTTP bytes out for the run | {run.wire_out:,} | | |")
    return "\n".join(lines)
