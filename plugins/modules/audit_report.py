# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the implementation is the action plugin plugins/action/audit_report.py,
# which runs on the controller and connects to no host.

DOCUMENTATION = r"""
---
module: audit_report
short_description: Write the Offer Remote Assistance fleet report on the controller
version_added: 1.2.0
description:
  - Collects what every host of O(hosts) recorded in the audit (the registered
    M(winra.remote_assistance.win_remote_assistance) result named by O(result_var), and the
    failure named by O(failure_var) that the audit's rescue sets), builds the fleet report
    and writes it into O(dest) as C(fleet-report.json), C(fleet-report.md) and
    C(fleet-report.html), each file replaced atomically.
  - The report is the one P(winra.remote_assistance.fleet_report#filter) builds (statuses,
    drift, conflicts, per-setting counts; see C(docs/audit-report.md)). A host listed in
    O(hosts) that recorded nothing is reported as V(unreachable).
  - With O(report) instead of O(hosts), writes a report document built before (for example
    by P(winra.remote_assistance.merge_fleet_reports#filter)).
  - Runs once on the controller (C(run_once), C(delegate_to=localhost)) and connects to no
    host. Writing the report is not a change to the hosts, so the task reports C(changed=false);
    it writes in check mode too.
  - One task instead of collecting, templating and copying the report in Jinja, whose cost
    grows with the fleet (about 30 s per 1,000 hosts, C(docs/benchmarks.md)).
options:
  dest:
    description:
      - The report directory, created if missing. A relative path is taken from the directory
        C(ansible-playbook) runs in.
    type: path
    required: true
  hosts:
    description:
      - Every host that was meant to be audited, in the order to report them (the audit
        passes C(ansible_play_hosts_all)).
      - Exactly one of O(hosts) and O(report).
    type: list
    elements: str
  report:
    description:
      - A report document to write as it is, instead of collecting one from O(hosts).
    type: dict
  result_var:
    description: The variable each host registered the composite module's result in.
    type: str
    default: offer_remote_assistance_result
  failure_var:
    description: The variable the audit's rescue sets on a host it could not audit (C(msg), C(task), C(unreachable)).
    type: str
    default: winra_audit_failure
  formats:
    description: The files to write.
    type: list
    elements: str
    choices: [json, markdown, html]
    default: [json, markdown, html]
  generated_at:
    description: The time stamp recorded in the report; the current UTC time when omitted.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: Writes the report in check mode too; it changes no host.
  diff_mode:
    support: none
  platform:
    platforms: posix
    details: Runs on the controller.
seealso:
  - module: winra.remote_assistance.win_remote_assistance
  - plugin: winra.remote_assistance.fleet_report
    plugin_type: filter
author:
  # validate-modules wants a GitHub handle; the project has none to name yet.
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Write the fleet report of the hosts this play audited
  winra.remote_assistance.audit_report:
    hosts: "{{ ansible_play_hosts_all }}"
    dest: reports
  run_once: true
  delegate_to: localhost
  check_mode: false
  register: report

- name: Write a merged report
  winra.remote_assistance.audit_report:
    report: "{{ merged }}"
    dest: reports/merged
    formats: [json, html]
  delegate_to: localhost
"""

RETURN = r"""
dest:
  description: The report directory, as an absolute path.
  returned: success
  type: str
files:
  description: Format (C(json), C(markdown), C(html)) to the path written.
  returned: success
  type: dict
summary:
  description: The report's summary (counts per status, per setting, Group Policy conflicts).
  returned: success
  type: dict
statuses:
  description: Host name to its status in the report, for exit gates.
  returned: success
  type: dict
  sample: {ws001.contoso.test: compliant, ws002.contoso.test: drifted}
"""
