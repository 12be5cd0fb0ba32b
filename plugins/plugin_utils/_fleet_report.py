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

A result may carry `gpo_conflicts` (values a domain GPO sets differently) and
`functional_problems` (strings: why Offer Remote Assistance cannot work on the host even
with the policy right); either makes the host not compliant. `functional_problems` may also
be given once for the host, beside `policy` and `firewall`.

A host with no input at all never reported back: it was unreachable (and removed from the
play) or did not run. It is listed as unreachable, never left out.

Statuses fall in two families that the audit's exit status keeps apart: the audit could not
look at the host (failed, unreachable), or it looked and the host is not compliant
(not_functional, conflict, drifted).
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
    REFRESH,
    conflict_warning,
)

# 2: statuses conflict and not_functional, functional_problems per host, summary.audited.
REPORT_VERSION = 2

COMPLIANT = "compliant"
DRIFTED = "drifted"
CONFLICT = "conflict"
NOT_FUNCTIONAL = "not_functional"
FAILED = "failed"
UNREACHABLE = "unreachable"
# Worst first: the order the reports list hosts in.
STATUSES = (FAILED, UNREACHABLE, NOT_FUNCTIONAL, CONFLICT, DRIFTED, COMPLIANT)
# The audit could not look at these hosts: their compliance is unknown.
COULD_NOT_LOOK = (FAILED, UNREACHABLE)
# The audit looked, and these hosts do not meet the standard.
NOT_COMPLIANT = (NOT_FUNCTIONAL, CONFLICT, DRIFTED)

# One sentence per status, for every rendering of the report (table, HTML, docs).
STATUS_MEANING = {
    FAILED: "a task failed: the audit could not look at the host",
    UNREACHABLE: "no connection, or no result at all: the audit could not look at the host",
    NOT_FUNCTIONAL: "Offer Remote Assistance cannot work there, whatever the policy says",
    CONFLICT: "a domain GPO sets these values differently and puts them back at every refresh",
    DRIFTED: "at least one value differs from the standard",
    COMPLIANT: "matches the standard",
}

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
    "local_group_policy",
)

NO_RESULT_MSG = "no result recorded: the host was unreachable or did not run"


def empty_record(host) -> dict:
    """A host record with every key of the current layout, before anything is known."""
    return {
        "host": host,
        "status": COMPLIANT,
        "msg": None,
        "drift": [],
        "warnings": [],
        "gpo_conflicts": [],
        "functional_problems": [],
        "engine_runs": {},
    }


def host_record(host, audit):
    """Classify one host's audit input into a record of the report."""
    record = empty_record(host)
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
    # Per module result, or once for the host (a composite result may carry it at its top).
    found = [result.get("functional_problems") for result in results.values()]
    found.append(audit.get("functional_problems"))
    for problems in found:
        for problem in problems or []:
            if str(problem) not in record["functional_problems"]:
                record["functional_problems"].append(str(problem))

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
    elif record["functional_problems"]:
        record["status"] = NOT_FUNCTIONAL
    elif record["gpo_conflicts"]:
        # Compliant right after a converge or not, Group Policy wins at its next refresh.
        record["status"] = CONFLICT
    elif record["drift"]:
        record["status"] = DRIFTED
    if record["status"] in COULD_NOT_LOOK:
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
    """Counts per status, the hosts audited and, per setting, how many hosts and values drift
    in it."""
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
    # The hosts the audit could look at: the base of every per-setting compliance figure.
    summary["audited"] = len(records) - sum(summary[status] for status in COULD_NOT_LOOK)
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


def is_report_document(value):
    """A report this module built (or a merge of them), rather than per-host audit input."""
    return (
        isinstance(value, dict)
        and isinstance(value.get("report_version"), int)
        and isinstance(value.get("hosts"), list)
        and isinstance(value.get("summary"), dict)
    )


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
    """The human-readable report: totals, what each status means, drift per setting, Group
    Policy conflicts, every host (worst first), then the drift items of each host that has
    them."""
    summary = document["summary"]
    records = sorted_records(document["hosts"])
    lines = ["# Offer Remote Assistance: fleet audit", ""]
    if document.get("generated_at"):
        lines += [f"Generated {document['generated_at']} ({document.get('mode', 'check')}).", ""]
    totals = ", ".join(f"{summary.get(status, 0)} {status}" for status in STATUSES)
    lines += [f"{summary['hosts']} hosts: {totals}.", ""]
    lines += _merge_lines(document.get("merge"))

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

    drifted = [r for r in records if r["drift"]]
    if drifted:
        lines += ["## Drift details", ""]
        for record in drifted:
            lines += [f"### {record['host']}", ""]
            lines += [f"- {format_drift_item(item)}" for item in record["drift"]]
            lines.append("")

    lines += ["## Statuses", "", "| status | meaning |", "|---|---|"]
    lines += [f"| {status} | {STATUS_MEANING[status]} |" for status in STATUSES]
    lines.append("")
    return "\n".join(lines)


def sorted_records(records):
    """Worst status first, then by host name: the order every rendering lists hosts in."""
    rank = {status: index for index, status in enumerate(STATUSES)}
    return sorted(records, key=lambda r: (rank.get(r["status"], len(rank)), str(r["host"])))


def _merge_lines(merge):
    """What a merged report says about its inputs: duplicates, missing hosts, failed slices."""
    if not merge:
        return []
    lines = [f"Merged from {len(merge.get('sources') or [])} report(s).", ""]
    for duplicate in merge.get("duplicates") or []:
        lines.append(
            f"- duplicate host {duplicate['host']}: kept the result of {duplicate['kept']} "
            f"({duplicate['kept_at']}), dropped {', '.join(duplicate['dropped'])}"
        )
    if merge.get("missing_hosts"):
        lines.append(f"- missing hosts (in no report): {', '.join(merge['missing_hosts'])}")
    for failed in merge.get("failed_slices") or []:
        lines.append(f"- failed slice {failed['source']}: {failed['reason']}")
    return lines + ([""] if len(lines) > 2 else [])


def host_summary(record):
    """One line for a host: its message, or the settings that drift (with counts)."""
    if record["status"] in COULD_NOT_LOOK:
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
    parts += [f"not functional: {problem}" for problem in record.get("functional_problems") or []]
    parts += [
        f"gpo conflict: {format_gpo_conflict(item)}" for item in record.get("gpo_conflicts") or []
    ]
    parts += [f"warning: {warning}" for warning in record["warnings"]]
    return "\n".join(parts) if parts else "-"
