# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several fleet reports (job slices, separate runs) merged into one.

Internal use only. Pure and deterministic: the same inputs give the same report, whatever
their order (sources are listed by name), except that of two results of the same host with
the same time the later input wins. Nothing reads a clock.

Input: a list of entries {"source": name, "report": document or None, "failed": bool,
"reason": str}. An entry with no report, or marked failed, is a failed slice: flagged in the
merged report's `merge.failed_slices` (its report, when there is one, is still merged). A host
present in several reports keeps the newest result (the report's `generated_at`) and is flagged
in `merge.duplicates`. Expected hosts that no report holds are flagged in
`merge.missing_hosts` and listed as unreachable, so that no host goes missing silently.
"""

from __future__ import annotations

from datetime import datetime, timezone

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    REPORT_VERSION,
    UNREACHABLE,
    empty_record,
    is_report_document,
    summarize,
)

MISSING_MSG = "in none of the merged reports: its slice did not run or did not report it"
NO_REPORT = "no report"
# timezone.utc, not datetime.UTC: ansible-core 2.16 controllers may run Python 3.10.
_OLDEST = datetime.min.replace(tzinfo=timezone.utc)  # noqa: UP017


class MergeError(ValueError):
    """An input that is not a fleet report this collection can merge."""


def _time(stamp) -> datetime:
    """A report's time stamp, for ordering; a report without one counts as the oldest."""
    if not stamp:
        return _OLDEST
    try:
        parsed = datetime.fromisoformat(str(stamp).replace("Z", "+00:00"))
    except ValueError as exc:
        raise MergeError(f"generated_at {stamp!r} is not an ISO 8601 time") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)  # noqa: UP017


def _check(source: str, report) -> None:
    if not is_report_document(report):
        raise MergeError(
            f"input {source!r} is not a fleet report (a dictionary with report_version, "
            "summary and hosts)"
        )
    if report["report_version"] > REPORT_VERSION:
        raise MergeError(
            f"input {source!r} has report_version {report['report_version']}, newer than "
            f"this collection's {REPORT_VERSION}"
        )
    for record in report["hosts"]:
        if not isinstance(record, dict) or not record.get("host") or not record.get("status"):
            raise MergeError(f"input {source!r} has a host record without host or status")


def _normalised(record: dict) -> dict:
    """A record in the current layout (reports of version 1 had no functional_problems)."""
    merged = empty_record(record["host"])
    merged.update(record)
    return merged


def merge_documents(entries, expected_hosts=None, generated_at=None) -> dict:
    """One report from several; see the module docstring for the rules."""
    sources, failed_slices = [], []
    candidates: dict[str, list[tuple[datetime, int, str, str, dict]]] = {}
    modes = set()
    newest = None
    for index, entry in enumerate(entries):
        source = str(entry.get("source") or f"input {index + 1}")
        report = entry.get("report")
        if entry.get("failed") or report is None:
            failed_slices.append(
                {"source": source, "reason": str(entry.get("reason") or NO_REPORT)}
            )
        if report is None:
            continue
        _check(source, report)
        stamp = report.get("generated_at")
        when = _time(stamp)
        if stamp and (newest is None or when > newest[0]):
            newest = (when, str(stamp))
        modes.add(str(report.get("mode") or "check"))
        sources.append({"source": source, "generated_at": stamp, "hosts": len(report["hosts"])})
        for record in report["hosts"]:
            host = str(record["host"])
            candidates.setdefault(host, []).append(
                (when, index, source, stamp, _normalised(record))
            )

    records, duplicates = [], []
    for host in sorted(candidates):
        ranked = sorted(candidates[host], key=lambda c: (c[0], c[1]))
        kept = ranked[-1]
        records.append(kept[4])
        if len(ranked) > 1:
            duplicates.append(
                {
                    "host": host,
                    "kept": kept[2],
                    "kept_at": kept[3],
                    "dropped": [c[2] for c in ranked[:-1]],
                }
            )
    missing = sorted({str(h) for h in expected_hosts or []} - set(candidates))
    records += [
        _normalised({"host": host, "status": UNREACHABLE, "msg": MISSING_MSG}) for host in missing
    ]
    records.sort(key=lambda r: r["host"])
    return {
        "report_version": REPORT_VERSION,
        "generated_at": str(generated_at) if generated_at else (newest[1] if newest else None),
        "mode": modes.pop() if len(modes) == 1 else "mixed",
        "summary": summarize(records),
        "hosts": records,
        "merge": {
            "sources": sorted(sources, key=lambda s: s["source"]),
            "duplicates": duplicates,
            "missing_hosts": missing,
            "failed_slices": sorted(failed_slices, key=lambda s: s["source"]),
        },
    }
