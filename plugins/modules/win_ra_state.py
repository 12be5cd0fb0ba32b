# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the module is win_ra_state.ps1.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: win_ra_state
short_description: Read and compare-and-swap registry values, facts, accounts and firewall rules (internal)
version_added: 1.0.0
description:
  - The host engine of this collection; internal use only. The action plugins
    M(winra.remote_assistance.win_offer_ra) and M(winra.remote_assistance.win_ra_firewall)
    run it; call those modules instead.
  - It knows nothing of Remote Assistance. With O(action=read) it returns the values of
    registry keys, host facts, account SIDs and firewall rule states. With O(action=apply)
    it checks that the C(expect) of every change still holds, then writes the changes
    in order, and rolls every write back if one fails.
  - Its request and response are specified in the collection's C(docs/engine-contract.md)
    (contract version 1); the examples under C(tests/contract/cases/) are the executable
    form of that contract.
options:
  action:
    description:
      - V(read) returns RV(keys), RV(facts), RV(accounts), RV(firewall_rules) and
        RV(policy_sources).
      - V(apply) applies O(changes) with compare-and-swap and rollback.
      - Any other value fails with RV(error=bad_request). It is a plain string rather than
        a choice so that the engine, not the argument spec, reports it.
    type: str
    required: true
  keys:
    description:
      - Registry key paths to read with O(action=read), not recursively.
      - Only C(HKLM:\) paths; C(HKLM\) and C(HKEY_LOCAL_MACHINE\) prefixes are accepted and
        normalised to C(HKLM:\), a trailing backslash is ignored.
    type: list
    elements: str
    default: []
  accounts:
    description:
      - Account names such as C(CONTOSO\Helpdesk) to resolve to SIDs with O(action=read).
    type: list
    elements: str
    default: []
  firewall_rules:
    description:
      - Firewall rule Names (IDs, not display names) to report with O(action=read).
    type: list
    elements: str
    default: []
  policy_sources:
    description:
      - With O(action=read), also report in RV(policy_sources) which values under O(keys) a
        Group Policy Object sets, from the Resultant Set of Policy (WMI namespace
        C(root\rsop\computer)).
    type: bool
    default: false
  changes:
    description:
      - The ordered changes to apply with O(action=apply).
      - Each is an object with C(op) V(set_value), V(delete_value) or V(set_rule) and an
        C(expect) holding the state the controller read; see the contract for the fields.
      - An empty list is valid and changes nothing.
    type: list
    elements: dict
    default: []
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode V(apply) checks every C(expect) and writes nothing.
  diff_mode:
    support: none
  platform:
    platforms: windows
notes:
  - Internal to the collection's action plugins; its options and results may change with
    the contract version in RV(contract_version).
  - Keys are never deleted or recreated, and only values named in a change are touched; a key
    the apply created is removed again on rollback if it is empty.
seealso:
  - module: winra.remote_assistance.win_offer_ra
  - module: winra.remote_assistance.win_ra_firewall
author:
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
# The action plugins build these requests; they are shown to document the contract.
- name: Read the policy key, one account and one firewall rule
  winra.remote_assistance.win_ra_state:
    action: read
    keys:
      - HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
    accounts:
      - CONTOSO\Helpdesk
    firewall_rules:
      - RemoteAssistance-DCOM-In-TCP-NoScope-Active
  register: host_state

- name: Enable the Offer Remote Assistance policy if nobody changed it since the read
  winra.remote_assistance.win_ra_state:
    action: apply
    changes:
      - op: set_value
        path: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
        name: fAllowUnsolicited
        type: REG_DWORD
        data: 1
        expect:
          present: false
"""

RETURN = r"""
contract_version:
  description: The version of the engine contract this response follows.
  returned: always
  type: int
  sample: 1
error:
  description:
    - The kind of failure, one of V(bad_request), V(access_denied), V(precondition),
      V(write_failed), V(rollback_failed), V(rule_missing), V(rule_foreign).
    - Absent for failures outside the contract, such as the argument spec's own checks.
  returned: failure
  type: str
  sample: precondition
keys:
  description:
    - One entry per requested key, in request order, with C(path) normalised, C(exists) and
      C(values) sorted by name case-insensitively.
    - Each value is C(name), C(type) (C(REG_SZ), C(REG_EXPAND_SZ) unexpanded, C(REG_DWORD) and
      C(REG_QWORD) unsigned, C(REG_MULTI_SZ) a list, C(REG_BINARY) lowercase hex, or
      C(REG_OTHER) with C(data) null) and C(data).
  returned: action is read
  type: list
  elements: dict
  sample:
    - path: HKLM:\SOFTWARE\Microsoft\Ole
      exists: true
      values:
        - name: EnableDCOM
          type: REG_SZ
          data: "Y"
facts:
  description: Host facts; null when the read failed.
  returned: action is read
  type: dict
  sample:
    os_version: 10.0.19045
    os_build: 19045
    os_name: Microsoft Windows 10 Enterprise
    edition: Enterprise
    product_type: workstation
    domain_joined: true
    domain: contoso.com
    hostname: WS001
    ui_culture: nb-NO
    ps_version: "5.1"
accounts:
  description: One C(name), C(sid) pair per requested account, in request order; C(sid) is null when the name does not resolve.
  returned: action is read
  type: list
  elements: dict
  sample:
    - name: CONTOSO\Helpdesk
      sid: S-1-5-21-1004336348-1177238915-682003330-1105
firewall_rules:
  description:
    - One entry per requested rule Name, in request order, with C(exists), C(enabled),
      C(profiles) (V(domain), V(private), V(public) in that order), C(group) (the
      locale-independent group string), C(display_name) and C(display_group).
  returned: action is read
  type: list
  elements: dict
  sample:
    - name: RemoteAssistance-DCOM-In-TCP-NoScope-Active
      exists: true
      enabled: false
      profiles: [domain]
      group: "@FirewallAPI.dll,-33002"
      display_name: Fjernhjelp (DCOM-TCP inn)
      display_group: Fjernhjelp
policy_sources:
  description:
    - C(available) (false when not requested or when the host has no Resultant Set of
      Policy, for example outside a domain; never an error) and C(values), one item per value
      under the requested keys that the winning Group Policy Object sets, with C(path) (as
      requested, normalised), C(name), C(type), C(data) (as in RV(keys)), C(gpo) (the GPO's
      display name) and C(gpo_id).
    - Group Policy writes these values again at every refresh, so a different local value
      does not last.
  returned: action is read
  type: dict
  sample:
    available: true
    values:
      - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
        name: fAllowUnsolicitedFullControl
        type: REG_DWORD
        data: 0
        gpo: RA Baseline (view only)
        gpo_id: cn={6AC1786C-016F-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=contoso,DC=com
applied:
  description: The number of changes written and in effect; 0 in check mode and after a rollback.
  returned: action is apply
  type: int
  sample: 3
rolled_back:
  description: Whether a failed write was undone completely (then RV(error=write_failed)).
  returned: action is apply
  type: bool
  sample: false
conflicts:
  description:
    - With RV(error=precondition), one item per change whose C(expect) did not hold, with
      C(path) (V(FirewallRule) for rules), C(name), C(expected) and C(actual). Empty otherwise.
  returned: action is apply
  type: list
  elements: dict
  sample:
    - path: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
      name: fAllowUnsolicited
      expected:
        present: false
      actual:
        present: true
        type: REG_DWORD
        data: 0
"""
