# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report as one self-contained HTML page, for an auditor to open offline.

Internal use only. Pure: a report document (_fleet_report.fleet_document, or a merged one)
in, a string out. Everything the page needs is inside it (styles, an inline SVG chart, a few
lines of script for the status filter); its Content-Security-Policy forbids loading anything
else, so the page cannot reach the network even by mistake. Every text taken from the report
is escaped: host names, messages and registry data come from the hosts.
"""

from __future__ import annotations

from html import escape

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    COULD_NOT_LOOK,
    KNOWN_SETTINGS,
    STATUS_MEANING,
    STATUSES,
    format_gpo_conflict,
    format_value,
    host_summary,
    sorted_records,
)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; base-uri 'none'; form-action 'none'"
)

COLOURS = {
    "compliant": "#2e7d32",
    "drifted": "#b26a00",
    "conflict": "#6a1b9a",
    "not_functional": "#c62828",
    "failed": "#8e0000",
    "unreachable": "#546e7a",
}

STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 1.5em auto; max-width: 1100px;
       color: #1d1d1d; padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { border: 1px solid #d5d5d5; padding: 0.3em 0.5em; text-align: left;
         vertical-align: top; }
th { background: #f2f2f2; }
td.value, td.data { font-family: ui-monospace, monospace; font-size: 0.92em; }
td.value { word-break: break-all; }
td.data { white-space: nowrap; }
.cards { display: flex; flex-wrap: wrap; gap: 0.6em; padding: 0; list-style: none; }
.cards li { border: 1px solid #ccc; border-left-width: 6px; padding: 0.4em 0.8em;
            min-width: 7em; }
.cards .count { display: block; font-size: 1.6em; font-weight: 600; }
.badge { color: #fff; border-radius: 3px; padding: 0 0.4em; white-space: nowrap; }
.notes li { margin: 0.2em 0; }
details { margin: 0.4em 0; }
summary { cursor: pointer; font-weight: 600; }
tr.hidden { display: none; }
"""

# The status filter: hide the rows of other statuses, say how many are shown.
SCRIPT = """
(function () {
  var select = document.getElementById("status-filter");
  var rows = document.querySelectorAll("#host-table tbody tr");
  var shown = document.getElementById("hosts-shown");
  function apply() {
    var wanted = select.value, count = 0;
    rows.forEach(function (row) {
      var visible = wanted === "all" || row.dataset.status === wanted;
      row.classList.toggle("hidden", !visible);
      if (visible) { count += 1; }
    });
    shown.textContent = String(count);
  }
  select.addEventListener("change", apply);
  apply();
}());
"""

BAR_HEIGHT = 22
LABEL_WIDTH = 190
BAR_WIDTH = 420


def _e(value) -> str:
    return escape("" if value is None else str(value), quote=True)


def _badge(status: str) -> str:
    colour = COLOURS.get(status, "#444")
    return f'<span class="badge" style="background:{colour}">{_e(status)}</span>'


def setting_compliance(document: dict) -> list[dict]:
    """Per setting: of the hosts the audit could look at, how many do not drift in it."""
    summary = document["summary"]
    audited = int(summary.get("audited", 0))
    drifting = summary.get("settings") or {}
    names = list(KNOWN_SETTINGS) + [name for name in drifting if name not in KNOWN_SETTINGS]
    rows = []
    for name in names:
        hosts_drifting = int((drifting.get(name) or {}).get("hosts", 0))
        rows.append(
            {"setting": name, "audited": audited, "compliant": max(audited - hosts_drifting, 0)}
        )
    return rows


def _chart(rows: list[dict]) -> str:
    height = BAR_HEIGHT * len(rows) + 10
    width = LABEL_WIDTH + BAR_WIDTH + 110
    parts = [
        f'<svg id="settings-chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        'aria-label="Hosts compliant per setting">'
    ]
    for index, row in enumerate(rows):
        y = 5 + index * BAR_HEIGHT
        share = row["compliant"] / row["audited"] if row["audited"] else 0.0
        filled = round(BAR_WIDTH * share)
        label = f"{row['compliant']}/{row['audited']}"
        parts.append(
            f'<g class="bar" data-setting="{_e(row["setting"])}" '
            f'data-compliant="{row["compliant"]}" data-audited="{row["audited"]}">'
            f"<title>{_e(row['setting'])}: {label} hosts compliant</title>"
            f'<text x="0" y="{y + 15}" font-size="13">{_e(row["setting"])}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{BAR_WIDTH}" height="{BAR_HEIGHT - 6}" '
            'fill="#f3d6d6"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y + 2}" width="{filled}" height="{BAR_HEIGHT - 6}" '
            f'fill="{COLOURS["compliant"]}"/>'
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 15}" font-size="13" '
            f'class="bar-label">{label}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _summary(document: dict) -> str:
    summary = document["summary"]
    cards = [
        f'<li style="border-left-color:#333"><span class="count" id="count-hosts">'
        f"{summary['hosts']}</span>hosts</li>",
        f'<li style="border-left-color:#333"><span class="count" id="count-audited">'
        f"{summary.get('audited', 0)}</span>audited</li>",
    ]
    cards += [
        f'<li style="border-left-color:{COLOURS[status]}" title="{_e(STATUS_MEANING[status])}">'
        f'<span class="count" id="count-{status}">{summary.get(status, 0)}</span>'
        f"{_e(status)}</li>"
        for status in STATUSES
    ]
    conflicts = summary.get("gpo_conflicts") or {"hosts": 0, "values": 0}
    text = (
        f"<p>Group Policy conflicts: <span id='gpo-conflict-values'>{conflicts['values']}</span>"
        f" value(s) on <span id='gpo-conflict-hosts'>{conflicts['hosts']}</span> host(s).</p>"
    )
    return f'<ul class="cards">{"".join(cards)}</ul>{text}'


def _merge_notes(merge: dict | None) -> str:
    if not merge:
        return ""
    items = [
        f"<li>duplicate host <b>{_e(d['host'])}</b>: kept the result of {_e(d['kept'])} "
        f"({_e(d['kept_at'])}), dropped {_e(', '.join(d['dropped']))}</li>"
        for d in merge.get("duplicates") or []
    ]
    if merge.get("missing_hosts"):
        items.append(
            f"<li>missing hosts (in no report): {_e(', '.join(merge['missing_hosts']))}</li>"
        )
    items += [
        f"<li>failed slice {_e(f['source'])}: {_e(f['reason'])}</li>"
        for f in merge.get("failed_slices") or []
    ]
    sources = len(merge.get("sources") or [])
    return (
        f'<section id="merge"><h2>Merged report</h2><p>Merged from {sources} report(s).</p>'
        f'<ul class="notes">{"".join(items)}</ul></section>'
    )


def _host_table(records: list[dict]) -> str:
    options = "".join(
        f'<option value="{status}">{_e(status)}</option>'
        for status in STATUSES
        if any(r["status"] == status for r in records)
    )
    rows = "".join(
        f'<tr data-status="{_e(r["status"])}"><td>{_e(r["host"])}</td>'
        f"<td>{_badge(r['status'])}</td>"
        f"<td>{'<br>'.join(_e(line) for line in host_summary(r).splitlines())}</td></tr>"
        for r in records
    )
    return (
        '<p><label for="status-filter">Show hosts with status </label>'
        f'<select id="status-filter"><option value="all">all</option>{options}</select> '
        f'(<span id="hosts-shown">{len(records)}</span> of {len(records)} shown)</p>'
        '<table id="host-table"><thead><tr><th>host</th><th>status</th><th>details</th>'
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _source(record: dict, item: dict) -> str:
    """Where the value read comes from: the GPO that sets it, or the host's own store."""
    where = (str(item.get("path", "")).casefold(), str(item.get("name", "")).casefold())
    for conflict in record.get("gpo_conflicts") or []:
        if (
            str(conflict.get("path", "")).casefold(),
            str(conflict.get("name", "")).casefold(),
        ) == where:
            return f"GPO '{conflict.get('gpo')}'"
    if item.get("setting") == "firewall_rules":
        return "firewall rule"
    return "local registry"


def _where(item: dict) -> str:
    return "\\".join(str(part) for part in (item.get("path"), item.get("name")) if part)


def _host_details(record: dict, generated_at) -> str:
    time = record.get("checked_at") or generated_at or ""
    rows = "".join(
        f"<tr><td>{_e(item.get('setting', 'unknown'))}</td>"
        f'<td class="value">{_e(_where(item))}</td>'
        f'<td class="data">{_e(format_value(item.get("actual")))}</td>'
        f'<td class="data">{_e(format_value(item.get("expected")))}</td>'
        f"<td>{_e(_source(record, item))}</td><td>{_e(item.get('read_at') or time)}</td></tr>"
        for item in record["drift"]
    )
    parts = [
        f'<details open class="host-detail" data-host="{_e(record["host"])}" '
        f'data-status="{_e(record["status"])}"><summary>{_e(record["host"])} '
        f"{_badge(record['status'])}</summary>"
    ]
    if rows:
        parts.append(
            "<table><thead><tr><th>setting</th><th>value</th><th>value read</th>"
            "<th>expected</th><th>source</th><th>time</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    notes = [f"not functional: {p}" for p in record.get("functional_problems") or []]
    notes += [f"gpo conflict: {format_gpo_conflict(c)}" for c in record.get("gpo_conflicts") or []]
    notes += [f"warning: {w}" for w in record.get("warnings") or []]
    if notes:
        parts.append(f'<ul class="notes">{"".join(f"<li>{_e(n)}</li>" for n in notes)}</ul>')
    parts.append("</details>")
    return "".join(parts)


def _unaudited(records: list[dict]) -> str:
    rows = [r for r in records if r["status"] in COULD_NOT_LOOK]
    if not rows:
        return "<p>The audit could look at every host.</p>"
    body = "".join(
        f'<tr data-status="{_e(r["status"])}"><td>{_e(r["host"])}</td>'
        f"<td>{_badge(r['status'])}</td><td>{_e(r['msg'])}</td></tr>"
        for r in rows
    )
    return (
        '<table id="unaudited-table"><thead><tr><th>host</th><th>status</th><th>why</th></tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )


def _legend() -> str:
    rows = "".join(
        f"<tr><td>{_badge(status)}</td><td>{_e(STATUS_MEANING[status])}</td></tr>"
        for status in STATUSES
    )
    return f"<table><thead><tr><th>status</th><th>meaning</th></tr></thead><tbody>{rows}</tbody></table>"


def render_html(document: dict) -> str:
    """The whole page: summary, per-setting chart, filterable host table, each host's drift
    setting by setting, the hosts the audit could not look at, and what each status means."""
    records = sorted_records(document["hosts"])
    generated = document.get("generated_at")
    with_details = [
        r
        for r in records
        if r["drift"] or r.get("gpo_conflicts") or r.get("functional_problems") or r.get("warnings")
    ]
    details = "".join(_host_details(r, generated) for r in with_details) or (
        "<p>No drift on any host that could be checked.</p>"
    )
    subtitle = (
        f"<p>Generated {_e(generated)} ({_e(document.get('mode', 'check'))}), report version "
        f"{_e(document.get('report_version'))}.</p>"
        if generated
        else f"<p>Report version {_e(document.get('report_version'))}.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Offer Remote Assistance: fleet audit</title>"
        f"<style>{STYLE}</style></head><body>"
        f"<header><h1>Offer Remote Assistance: fleet audit</h1>{subtitle}</header>"
        f'<section id="summary"><h2>Fleet summary</h2>{_summary(document)}</section>'
        f"{_merge_notes(document.get('merge'))}"
        '<section id="settings"><h2>Compliance per setting</h2>'
        "<p>Hosts that do not drift in the setting, of the hosts the audit could look at.</p>"
        f"{_chart(setting_compliance(document))}</section>"
        f'<section id="hosts"><h2>Hosts</h2>{_host_table(records)}</section>'
        f'<section id="drift"><h2>Drift, setting by setting</h2>{details}</section>'
        '<section id="unaudited"><h2>Unreachable and failed hosts</h2>'
        f"{_unaudited(records)}</section>"
        f'<section id="statuses"><h2>Statuses</h2>{_legend()}</section>'
        f"<script>{SCRIPT}</script></body></html>\n"
    )
