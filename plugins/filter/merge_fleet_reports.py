# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_formats import render
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_merge import (
    MergeError,
    merge_documents,
)

DOCUMENTATION = r"""
name: merge_fleet_reports
author: winra.remote_assistance maintainers
version_added: "1.0.0"
short_description: Merge several Offer Remote Assistance fleet reports into one
description:
  - Merges the reports of several audits (the slices of an AWX or Automation Platform job
    with job slicing, or separate runs) into one report of the same layout, which
    P(winra.remote_assistance.fleet_report#filter) renders as Markdown or HTML.
  - A host present in several reports keeps the newest result (the report's C(generated_at);
    for equal times, the later input) and is listed in C(merge.duplicates).
  - Hosts of O(expected_hosts) that no report holds are listed in C(merge.missing_hosts) and
    as V(unreachable) hosts, so that no host is silently missing.
  - An input without a report, or marked as failed, is listed in C(merge.failed_slices).
  - The result does not depend on the order of the inputs (except for equal times) and the
    filter reads no clock.
  - C(playbooks/merge_reports.yml) in this collection shows the intended use.
options:
  _input:
    description:
      - The reports to merge, a list. Each element is either a report (the content of a
        C(fleet-report.json)) or a dictionary with C(source) (a name for the input, such as
        its path or job id), C(report) (the report, or V(null) when the slice wrote none),
        C(failed) (V(true) when the slice's job failed) and C(reason) (why it failed).
    type: list
    elements: raw
    required: true
  expected_hosts:
    description: Every host the slices together were meant to audit.
    type: list
    elements: str
    default: []
  format:
    description:
      - V(document) returns the merged report as a dictionary (for a JSON file).
      - V(markdown) or V(html) return it rendered, as P(winra.remote_assistance.fleet_report#filter)
        renders a report.
    type: str
    choices: [document, markdown, html]
    default: document
  generated_at:
    description: The time stamp of the merged report; by default the newest of the inputs'.
    type: str
seealso:
  - plugin: winra.remote_assistance.fleet_report
    plugin_type: filter
"""

EXAMPLES = r"""
- name: Merge the reports of three slices, one of which failed
  ansible.builtin.set_fact:
    merged: >-
      {{ [{'source': 'job 101', 'report': lookup('file', '101/fleet-report.json') | from_json},
          {'source': 'job 102', 'report': lookup('file', '102/fleet-report.json') | from_json},
          {'source': 'job 103', 'report': none, 'failed': true, 'reason': 'job failed'}]
         | winra.remote_assistance.merge_fleet_reports(expected_hosts=groups['windows']) }}
"""

RETURN = r"""
_value:
  description:
    - With O(format=document), the merged report, in the layout of the report of
      P(winra.remote_assistance.fleet_report#filter) (hosts sorted by name, summary counted
      again) plus C(merge). With O(format=markdown) or O(format=html), a string.
  type: raw
  contains:
    merge:
      description:
        - C(sources), one entry per merged report (C(source), C(generated_at), C(hosts));
          C(duplicates), one entry per host found more than once (C(host), C(kept) and
          C(kept_at), the source and time of the result kept, C(dropped), the other sources);
          C(missing_hosts); C(failed_slices) (C(source), C(reason)).
      type: dict
"""


def merge_fleet_reports(inputs, expected_hosts=None, format="document", generated_at=None):
    if not is_sequence(inputs):
        raise AnsibleFilterError(
            f"merge_fleet_reports expects a list of reports, got {type(inputs).__name__}"
        )
    if expected_hosts is not None and not is_sequence(expected_hosts):
        raise AnsibleFilterError(
            f"merge_fleet_reports option 'expected_hosts' must be a list, got {expected_hosts!r}"
        )
    if format not in ("document", "markdown", "html"):
        raise AnsibleFilterError(
            "merge_fleet_reports option 'format' must be document, markdown or html, "
            f"got {format!r}"
        )
    entries = []
    for index, value in enumerate(inputs):
        if isinstance(value, dict) and "report" in value:
            entries.append(value)
        elif isinstance(value, dict):
            entries.append({"source": f"input {index + 1}", "report": value})
        else:
            raise AnsibleFilterError(
                f"merge_fleet_reports input {index + 1} must be a report or a dictionary with "
                f"'report', got {type(value).__name__}"
            )
    try:
        document = merge_documents(entries, expected_hosts, generated_at)
    except MergeError as exc:
        raise AnsibleFilterError(f"merge_fleet_reports: {exc}") from exc
    return render(document, format)


class FilterModule:
    def filters(self):
        return {"merge_fleet_reports": merge_fleet_reports}
