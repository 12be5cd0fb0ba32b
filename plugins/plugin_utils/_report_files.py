# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's files on the controller: collected, built and written in one step.

Internal use only. The audit's report step is once per run but sees every host, so its cost
grows with the fleet: done in Jinja (a loop over hostvars, set_fact of the whole report, one
copy task per format) it cost about 30 s per 1,000 hosts. Here it is plain Python over the
hosts' registered results, and each file is written once, atomically (a temporary file in
the same directory, then a rename), so a reader never sees half a report.
"""

from __future__ import annotations

import json
import os
import tempfile

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_formats import render

# format -> file name in the report directory
FILES = {"json": "fleet-report.json", "markdown": "fleet-report.md", "html": "fleet-report.html"}


def audit_inputs(host_vars: dict, result_var: str, failure_var: str) -> dict:
    """host -> {policy, firewall, failure} from each host's variables (`host_vars`: host ->
    its variables, or None for a host with none): the composite's registered result holds
    the `offer` and `firewall` parts; `failure_var` is what the audit's rescue recorded."""
    inputs = {}
    for host, variables in host_vars.items():
        variables = variables or {}
        registered = variables.get(result_var)
        registered = registered if isinstance(registered, dict) else {}
        inputs[host] = {
            "policy": registered.get("offer"),
            "firewall": registered.get("firewall"),
            "failure": variables.get(failure_var),
        }
    return inputs


def write(document: dict, directory: str, formats: list) -> dict:
    """Write `document` in each format into `directory` (created if missing); returns
    format -> path."""
    os.makedirs(directory, exist_ok=True)
    written = {}
    for name in formats:
        if name == "json":
            text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        else:
            text = render(document, name)
        path = os.path.join(directory, FILES[name])
        _write_atomically(path, text)
        written[name] = path
    return written


def _write_atomically(path: str, text: str) -> None:
    handle, temp = tempfile.mkstemp(prefix=".fleet-report-", dir=os.path.dirname(path))
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        if os.path.exists(temp):
            os.unlink(temp)
        raise


def statuses(document: dict) -> dict:
    """host -> status, for the audit's exit gates."""
    return {record["host"]: record["status"] for record in document["hosts"]}
