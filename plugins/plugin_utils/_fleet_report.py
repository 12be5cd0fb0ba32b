# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet drift report: per-host audit results in, one record per host out.

Internal use only. Pure functions, no Ansible imports (only the collection's own wording of
Group Policy conflicts), so that the filter plugin stays a thin wrapper and the decisions
here can be tested without a controller.

Input, per host (what playbooks/audit.yml collects from hostvars; any part may be missing):

    {"policy": <registered win_offer_ra result>,
     "firewall": <registered win_ra_firewall result>,
     "failure": {"msg": str, "task": str, "unreachable": bool} or None}

A host with no input at all never reported back: it was unreachable (and removed from the
play) or did not run. It is listed as unreachable, never left out.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
    REFRESH,
    conflict_warning,
)

REPORT_VERSION = 1

COMPLIANT = "compliant"
DRIFTED = "drifted"
FAILED = "failed"
UNREACHABLE = "unreachable"
# Worst first: the order the Markdown lists hosts in.
STATUSES = (FAILED, UNREACHABLE, DRIFTED, COMPLIANT)

# Registered result name -> the module that produced it (drift items say where they came from).
MODULE_OF_RESULT = {"policy": "win_offer_ra", "firewall": "win_ra_firewall"}

# The settings the modules report, in the order a reader expects them (docs/architecture.md).
KNOWN_SETTINGS = (
    "offer_policy",
    "permission",
    "helpers",
    "dcom",
    "solicited",
    "firewall_list_enabled",
    "firewall_ports",
    "firewall_programs",
    "firewall_rules",
)

NO_RESULT_MSG = "no result recorded: the host was unreachable or did not run"


def host_record(host, audit):
    """Classify one host's audit input into a record of the report."""
    record = {
        "host": host,
        "status": COMPLIANT,
        "msg": None,
        "drift": [],
        "warnings": [],
        "gpo_conflicts": [],
        "engine_runs": {},
    }
    audit = audit if isinstance(audit, dict) else {}
    results = {
        key: audit.get(key)
        for key in MODULE_OF_RESULT
        if isinstance(audit.get(key), dict) and not audit[key].get("skipped")
    }
    failure = audit.get("failure") if isinstance(audit.get("failure"), dict) else None

    for key, result in results.items():
        # What the audit cost the host: WinRM module runs per module (1 each when compliant).
        if isinstance(result.get("engine_runs"), int):
            record["engine_runs"][MODULE_OF_RESULT[key]] = result["engine_runs"]
        conflicts = [c for c in result.get("gpo_conflicts") or [] if isinstance(c, dict)]
        record["gpo_conflicts"].extend(dict(c, module=MODULE_OF_RESULT[key]) for c in conflicts)
        # Each conflict also came as a warning; the report lists it once, as a conflict.
        said = {_warning_of(c) for c in conflicts}
        record["warnings"].extend(str(w) for w in result.get("warnings") or [] if w not in said)
        record["drift"].extend(
            dict(item, module=MODULE_OF_RESULT[key]) for item in result.get("drift") or []
        )
        _add_local_policy(record, result.get("local_policy"), MODULE_OF_RESULT[key])

    unreachable = next((r for r in results.values() if r.get("unreachable")), None)
    failed = next((r for r in results.values() if r.get("failed")), None)
    if failure is not None:
        record["status"] = UNREACHABLE if failure.get("unreachable") else FAILED
        record["msg"] = _failure_msg(failure)
    elif unreachable is not None:
        record["status"] = UNREACHABLE
        record["msg"] = str(unreachable.get("msg") or "unreachable")
    elif failed is not None:
        record["status"] = FAILED
        record["msg"] = str(failed.get("msg") or "failed without a message")
    elif not results:
        record["status"] = UNREACHABLE
        record["msg"] = NO_RESULT_MSG
    elif record["drift"]:
        record["status"] = DRIFTED
    if record["status"] in (FAILED, UNREACHABLE):
        # Drift of a host that could not finish is partial: reporting it as the host's
        # drift would understate what is wrong there.
        record["drift"] = []
    return record


def _add_local_policy(record, local_policy, module):
    """`local_policy` (policy_store local_gpo only, so only then in the record): Registry.pol
    vs live per managed value, and the records the task would change in Registry.pol."""
    if not isinstance(local_policy, dict):
        return
    into = record.get("local_policy") or {"values": [], "changes": []}
    for kind in ("values", "changes"):
        into[kind].extend(
            dict(item, module=module)
            for item in local_policy.get(kind) or []
            if isinstance(item, dict)
        )
    record["local_policy"] = into


def _warning_of(conflict):
    try:
        return conflict_warning(conflict)
    except (KeyError, TypeError):
        return None  # not a conflict this collection wrote: its warning stays


def _failure_msg(failure):
    msg = str(failure.get("msg") or "failed without a message")
    task = failure.get("task")
    return f"{task}: {msg}" if task else msg


def fleet_records(results, hosts=None):
    """One record per host: every host of `hosts` (inventory order), then any others."""
    results = results or {}
    names = list(hosts or [])
    names.extend(sorted(h for h in results if h not in set(names)))
    return [host_record(name, results.get(name)) for name in names]


def summarize(records):
    """Counts per status and, per setting, how many hosts and values drift in it."""
    summary = {"hosts": len(records), **{status: 0 for status in STATUSES}}
    settings = {}
    for record in records:
        summary[record["status"]] += 1
        seen = set()
        for item in record["drift"]:
            setting = str(item.get("setting") or "unknown")
            counts = settings.setdefault(setting, {"hosts": 0, "values": 0})
            counts["values"] += 1
            if setting not in seen:
                seen.add(setting)
                counts["hosts"] += 1
    summary["settings"] = {name: settings[name] for name in _setting_order(settings)}
    with_conflicts = [record for record in records if record.get("gpo_conflicts")]
    summary["gpo_conflicts"] = {
        "hosts": len(with_conflicts),
        "values": sum(len(record["gpo_conflicts"]) for record in with_conflicts),
    }
    return summary


def _setting_order(settings):
    known = [name for name in KNOWN_SETTINGS if name in settings]
    return known + sorted(name for name in settings if name not in KNOWN_SETTINGS)


def fleet_document(results, hosts=None, generated_at=None, mode="check"):
    """The JSON document the audit writes: version, summary, one record per host."""
    records = fleet_records(results, hosts)
    return {
        "report_version": REPORT_VERSION,
        "generated_at": generated_at,
        "mode": mode,
        "summary": summarize(records),
        "hosts": records,
    }


def format_value(value):
    """One registry value or rule state as a person reads it; None is an absent value."""
    if value is None:
        return "(absent)"
    if isinstance(value, dict) and "type" in value:
        return f"{value['type']}:{value.get('data')}"
    if isinstance(value, dict) and "enabled" in value:
        state = "enabled" if value["enabled"] else "disabled"
        profiles = ",".join(value.get("profiles") or []) or "no profile"
        return f"{state} ({profiles})"
    return str(value)


def _where(item):
    """The registry value (key\\name) or rule an item is about."""
    return "\\".join(part for part in (item.get("path"), item.get("name")) if part)


def format_drift_item(item):
    where = _where(item)
    return (
        f"{item.get('setting', 'unknown')}: {where} is {format_value(item.get('actual'))}, "
        f"expected {format_value(item.get('expected'))}"
    )


def format_gpo_conflict(item):
    """One Group Policy conflict as a person reads it: the value, the GPO, both values."""
    where = _where(item)
    return (
        f"{item.get('setting', 'unknown')}: {where} is set to "
        f"{format_value(item.get('gpo_value'))} by the GPO '{item.get('gpo')}', "
        f"expected {format_value(item.get('expected'))}"
    )


def _cell(text):
    # A table cell cannot hold a pipe or a line break as such.
    return str(text).replace("|", "\\|").replace("\r", "").replace("\n", "<br>")


def render_markdown(document):
    """The human-readable report: totals, drift per setting, every host (worst first), then
    the drift items of each drifted host."""
    summary = document["summary"]
    rank = {status: index for index, status in enumerate(STATUSES)}
    records = sorted(document["hosts"], key=lambda r: rank.get(r["status"], len(rank)))
    lines = ["# Offer Remote Assistance: fleet audit", ""]
    if document.get("generated_at"):
        lines += [f"Generated {document['generated_at']} ({document.get('mode', 'check')}).", ""]
    totals = ", ".join(f"{summary[status]} {status}" for status in STATUSES)
    lines += [f"{summary['hosts']} hosts: {totals}.", ""]

    lines += ["## Drift by setting", ""]
    if summary["settings"]:
        lines += ["| setting | hosts drifted | values drifted |", "|---|---:|---:|"]
        lines += [
            f"| {_cell(name)} | {counts['hosts']} | {counts['values']} |"
            for name, counts in summary["settings"].items()
        ]
    else:
        lines.append("No drift on any host that could be checked.")
    lines.append("")

    lines += ["## Group Policy conflicts", ""]
    conflicts = summary.get("gpo_conflicts") or {"hosts": 0, "values": 0}
    if conflicts["values"]:
        lines += [
            f"{conflicts['values']} value(s) on {conflicts['hosts']} host(s) are set differently "
            f"by a domain GPO. Group Policy puts its value back at every refresh ({REFRESH}), "
            "so a converge there does not last: change the GPO, or the standard.",
            "",
            "| host | conflict |",
            "|---|---|",
        ]
        lines += [
            f"| {_cell(r['host'])} | {_cell(format_gpo_conflict(item))} |"
            for r in records
            for item in r.get("gpo_conflicts") or []
        ]
    else:
        lines.append("No Group Policy conflict on any host that could be checked.")
    lines.append("")

    lines += ["## Hosts", "", "| host | status | details |", "|---|---|---|"]
    lines += [f"| {_cell(r['host'])} | {r['status']} | {_cell(host_summary(r))} |" for r in records]
    lines.append("")

    drifted = [r for r in records if r["status"] == DRIFTED]
    if drifted:
        lines += ["## Drift details", ""]
        for record in drifted:
            lines += [f"### {record['host']}", ""]
            lines += [f"- {format_drift_item(item)}" for item in record["drift"]]
            lines.append("")
    return "\n".join(lines)


def host_summary(record):
    """One line for a host: its message, or the settings that drift (with counts)."""
    if record["status"] in (FAILED, UNREACHABLE):
        parts = [record["msg"] or ""]
    else:
        counts = {}
        for item in record["drift"]:
            setting = str(item.get("setting") or "unknown")
            counts[setting] = counts.get(setting, 0) + 1
        parts = (
            [
                ", ".join(
                    name if counts[name] == 1 else f"{name} ({counts[name]} values)"
                    for name in _setting_order(counts)
                )
            ]
            if counts
            else []
        )
    parts += [
        f"gpo conflict: {format_gpo_conflict(item)}" for item in record.get("gpo_conflicts") or []
    ]
    parts += [f"warning: {warning}" for warning in record["warnings"]]
    return "\n".join(parts) if parts else "-"
