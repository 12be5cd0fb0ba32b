# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.collections import is_sequence

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    fleet_document,
    is_report_document,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_formats import render

DOCUMENTATION = r"""
name: fleet_report
author: winra.remote_assistance maintainers
version_added: "1.0.0"
short_description: Build the Offer Remote Assistance fleet drift report
description:
  - Turns the per-host results of an audit (the role M(winra.remote_assistance.win_offer_ra)
    and M(winra.remote_assistance.win_ra_firewall) tasks run in check mode) into one record
    per host and a summary with counts per setting.
  - A host is V(compliant), V(drifted) (with its drift items), V(conflict) (a domain GPO
    sets these values differently, named in C(gpo_conflicts)), V(not_functional) (a result
    carries a non-empty C(functional_problems) list, so Offer Remote Assistance cannot work
    on the host), V(failed) (with the message) or V(unreachable). The audit could not look at
    V(failed) and V(unreachable) hosts; it looked at the others.
  - A host listed in O(hosts) with no result at all is V(unreachable), so hosts are never
    silently missing from the report.
  - Values that a domain Group Policy Object sets differently (the modules' C(gpo_conflicts))
    are kept per host, counted in the summary and listed in their own Markdown section,
    because Group Policy puts its value back at every refresh.
  - With O(format=markdown) the same report is rendered as a Markdown document for people;
    with O(format=html) as one self-contained HTML page (no network access, no external
    scripts, styles or fonts) with a per-setting chart and a host table filtered by status.
  - The input may also be a report this filter built before (a dictionary with
    C(report_version) and C(hosts)), for example a merged one
    (P(winra.remote_assistance.merge_fleet_reports#filter)), which is then rendered as it is.
  - C(playbooks/audit.yml) in this collection shows the intended use.
options:
  _input:
    description:
      - A mapping of inventory host name to that host's audit input, a dictionary with the
        optional keys C(policy) (the registered M(winra.remote_assistance.win_offer_ra)
        result), C(firewall) (the registered M(winra.remote_assistance.win_ra_firewall)
        result) and C(failure) (C(msg), C(task), C(unreachable)) for a host that failed.
      - The results may carry C(gpo_conflicts) and C(functional_problems);
        C(functional_problems) may also be given once for the host, beside C(policy).
      - A host whose value is missing or V(null) reported nothing.
      - Or a report document to render (O(hosts) is then ignored).
    type: dict
    required: true
  hosts:
    description:
      - Every host that was meant to be audited, in the order to report them.
      - Hosts in this list without input are reported as V(unreachable).
    type: list
    elements: str
    default: []
  format:
    description:
      - V(document) returns the report as a dictionary (for a JSON file).
      - V(markdown) returns it rendered as Markdown text.
      - V(html) returns it rendered as a self-contained HTML page.
    type: str
    choices: [document, markdown, html]
    default: document
  generated_at:
    description: A time stamp to record in the report (the filter itself reads no clock).
    type: str
  mode:
    description: How the results were obtained, recorded in the report.
    type: str
    default: check
seealso:
  - module: winra.remote_assistance.win_offer_ra
  - module: winra.remote_assistance.win_ra_firewall
"""

EXAMPLES = r"""
- name: Build the report from what every host of the group recorded
  ansible.builtin.set_fact:
    fleet: "{{ audit_results | winra.remote_assistance.fleet_report(hosts=groups['windows']) }}"
  vars:
    audit_results:
      ws001:
        policy: {changed: false, drift: []}
        firewall: {changed: false, drift: []}
      ws002:
        failure: {msg: "Failed to resolve helper 'CONTOSO\\Helpdesk'", task: "Offer RA policy"}

- name: Write the Markdown version
  ansible.builtin.copy:
    content: >-
      {{ audit_results | winra.remote_assistance.fleet_report(
           hosts=groups['windows'], format='markdown') }}
    dest: reports/fleet.md
    mode: "0644"
"""

RETURN = r"""
_value:
  description:
    - With O(format=document), the report; with O(format=markdown) or O(format=html), a
      string.
  type: raw
  contains:
    report_version:
      description: Version of this document's layout.
      type: int
      sample: 2
    generated_at:
      description: O(generated_at) as given.
      type: str
    mode:
      description: O(mode) as given.
      type: str
      sample: check
    summary:
      description:
        - C(hosts), C(audited) (hosts the audit could look at, that is neither failed nor
          unreachable) and one count per status (C(failed), C(unreachable),
          C(not_functional), C(conflict), C(drifted), C(compliant)).
        - C(settings) maps each drifting setting to C(hosts) (hosts drifting in it) and
          C(values) (values drifting in it across the fleet).
        - C(gpo_conflicts) counts C(hosts) with Group Policy conflicts and the conflicting
          C(values) across the fleet.
      type: dict
      sample:
        hosts: 3
        failed: 1
        unreachable: 0
        not_functional: 0
        conflict: 0
        drifted: 1
        compliant: 1
        audited: 2
        settings:
          permission: {hosts: 1, values: 1}
        gpo_conflicts: {hosts: 1, values: 1}
    hosts:
      description:
        - One record per host, C(host), C(status), C(msg) (failed and unreachable hosts),
          C(drift) (the drift items of both modules, each with the C(module) it came from),
          C(warnings), C(gpo_conflicts) (the modules' C(gpo_conflicts), the values a domain GPO
          sets differently, each with its C(module) and the C(gpo) that sets it; not repeated in
          C(warnings)), C(functional_problems) (why Offer Remote Assistance cannot work on the
          host) and C(engine_runs) (WinRM module runs per module).
      type: list
      elements: dict
"""


def fleet_report(results, hosts=None, format="document", generated_at=None, mode="check"):
    if results is None:
        results = {}
    if format not in ("document", "markdown", "html"):
        raise AnsibleFilterError(
            f"fleet_report option 'format' must be document, markdown or html, got {format!r}"
        )
    if is_report_document(results):
        return render(results, format)
    if not isinstance(results, dict):
        raise AnsibleFilterError(
            "fleet_report expects a mapping of host name to audit results, "
            f"got {type(results).__name__}"
        )
    if hosts is not None and not is_sequence(hosts):
        raise AnsibleFilterError(f"fleet_report option 'hosts' must be a list, got {hosts!r}")
    document = fleet_document(
        results,
        hosts=[str(h) for h in hosts or []],
        generated_at=None if generated_at is None else str(generated_at),
        mode=str(mode),
    )
    return render(document, format)


class FilterModule:
    def filters(self):
        return {"fleet_report": fleet_report}
