# -*- coding: utf-8 -*-

# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the module is win_ra_state.ps1.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: win_ra_state
short_description: Read the host raw and apply compare-and-swap registry, firewall and file changes (internal)
version_added: 1.0.0
description:
  - The host engine of this collection; internal use only. The action plugins
    M(winra.remote_assistance.win_offer_ra) and M(winra.remote_assistance.win_ra_firewall)
    run it; call those modules instead.
  - It knows nothing of Remote Assistance and decides nothing. A C(read) request returns
    registry values as .NET returns them, account SIDs, firewall rules from the active
    policy store with their source, Resultant Set of Policy rows, and whole files (bytes and
    SHA-256, for the Local Group Policy files Registry.pol and gpt.ini) or only whether a file
    exists (File.Exists, which opens nothing; used for C(msra.exe)). An C(apply) request
    checks that the C(expect) of every change still holds (ordinal comparison, a file by its
    SHA-256), then writes the changes in order, and on a failure rolls back what still holds
    what it wrote.
  - A file is never written in place. It is written to a temporary file beside it, read back
    and verified, compared with its C(expect) once more, then swapped in with File.Replace,
    which keeps the previous file as C(<name>.bak). A file another process holds open fails
    with RV(error=file_locked).
  - It takes one option, O(request), the base64 of a JSON request document, so that no
    module wrapper converts any string (PowerShell 7 would turn ISO-8601 text into dates).
    The request and response are specified in the collection's C(docs/engine-contract.md)
    (contract version 2); the examples under C(tests/contract/cases/) are its executable form.
  - It does not use the Ansible.Basic module utility, which Windows PowerShell compiles on
    every run; it follows the same module conventions.
options:
  request:
    description:
      - Base64 of the UTF-8 JSON request document, an object whose C(action) is V(read)
        (with C(keys), C(accounts), C(firewall_rules), C(policy_sources), and optionally
        C(files) and C(exists)) or V(apply) (with C(changes), a list of C(set_value), C(delete_value),
        C(set_rule) and C(replace_file) objects).
      - Every field is required and typed exactly; no field takes a number (DWORD and QWORD
        data are the little-endian hex of their bytes). Anything else fails with
        RV(error=bad_request).
    type: str
    required: true
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details: In check mode an apply request compares every C(expect) and writes nothing, not even a temporary file.
  diff_mode:
    support: none
  platform:
    platforms: windows
notes:
  - Internal to the collection's action plugins; its request and results may change with
    the contract version in RV(contract_version).
  - Keys are never deleted or recreated, and only values named in a change are touched; a key
    the apply created is removed again on rollback if it is empty.
  - HKLM is opened through the 64-bit registry view whatever the bitness of the endpoint.
seealso:
  - module: winra.remote_assistance.win_offer_ra
  - module: winra.remote_assistance.win_ra_firewall
author:
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
# The action plugins build these requests; they are shown to document the contract.
- name: Read the policy key and one firewall rule
  winra.remote_assistance.win_ra_state:
    request: "{{ {'action': 'read', 'keys': ['HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services'],
                  'accounts': [], 'firewall_rules': ['RemoteAssistance-DCOM-In-TCP-NoScope-Active'],
                  'policy_sources': false} | to_json | b64encode }}"
  register: host_state

- name: Set fAllowUnsolicited to 1 if it is still absent
  winra.remote_assistance.win_ra_state:
    request: "{{ {'action': 'apply', 'changes': [{'op': 'set_value',
                  'path': 'HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services',
                  'name': 'fAllowUnsolicited', 'kind': 'DWord', 'data': '01000000',
                  'expect': {'present': false}}]} | to_json | b64encode }}"
"""

RETURN = r"""
contract_version:
  description: The version of the engine contract this response follows.
  returned: always
  type: int
  sample: 2
error:
  description:
    - The kind of failure, one of V(bad_request), V(access_denied), V(precondition),
      V(file_locked), V(write_failed), V(rollback_failed), V(query_failed), V(host_error).
  returned: failure
  type: str
  sample: precondition
retryable:
  description:
    - Whether nothing this run wrote remains and reading, deciding and applying again may
      succeed (V(file_locked), V(precondition), V(write_failed)).
  returned: failure
  type: bool
  sample: true
keys:
  description:
    - One entry per requested key, in request order, with C(path) as requested, C(exists) and
      C(values) in the order Windows enumerates them.
    - Each value is C(name), C(kind) (the .NET RegistryValueKind name) and C(data) as
      RegistryKey.GetValue returns it unexpanded; numbers and bytes as lowercase hex.
  returned: success, read
  type: list
  elements: dict
  sample:
    - path: HKLM:\SOFTWARE\Microsoft\Ole
      exists: true
      values:
        - name: EnableDCOM
          kind: String
          data: "Y"
accounts:
  description: One C(name), C(sid) pair per requested account, in request order; C(sid) is null when the name does not map.
  returned: success, read
  type: list
  elements: dict
  sample:
    - name: CONTOSO\Helpdesk
      sid: S-1-5-21-1004336348-1177238915-682003330-1105
firewall_rules:
  description:
    - One row per rule of a requested Name in the active policy store, with C(enabled) and
      C(profile) as Get-NetFirewallRule prints them, C(group), C(display_name),
      C(display_group), C(source_type) and C(source) (the policy store the rule comes from).
  returned: success, read
  type: list
  elements: dict
  sample:
    - name: RemoteAssistance-DCOM-In-TCP-NoScope-Active
      enabled: "False"
      profile: Domain
      group: "@FirewallAPI.dll,-33002"
      display_name: Fjernhjelp (DCOM-TCP inn)
      display_group: Fjernhjelp
      source_type: Local
      source: PersistentStore
policy_sources:
  description:
    - C(available), C(reason) and C(settings), the winning RSOP_RegistryPolicySetting rows of
      the requested keys, each with C(key), C(name), C(value_type), C(value) (hex of the
      logged bytes), C(deleted), C(gpo_id) and C(gpo).
  returned: success, read
  type: dict
  sample:
    available: true
    reason: null
    settings:
      - key: Software\Policies\Microsoft\Windows NT\Terminal Services
        name: fAllowUnsolicitedFullControl
        value_type: "4"
        value: "00000000"
        deleted: false
        gpo_id: cn={6AC1786C-016F-11D2-945F-00C04FB984F9},cn=policies,cn=system,DC=contoso,DC=com
        gpo: RA Baseline (view only)
files:
  description:
    - One entry per requested file, in request order, with C(path) as requested (the engine
      expands C(%SystemRoot%) and C(%windir%) to read it), C(exists), C(size), C(sha256) (lowercase
      hex) and C(data) (base64); a missing file has C(exists=false) and null C(sha256) and
      C(data).
  returned: success, read of at least one file
  type: list
  elements: dict
  sample:
    - path: '%SystemRoot%\System32\GroupPolicy\gpt.ini'
      exists: false
      size: 0
      sha256: null
      data: null
exists:
  description:
    - One entry per path asked for in C(exists), in request order, with C(path) as requested
      and C(exists) (File.Exists on the expanded path; false for a missing file, a folder, or
      a file the engine's account cannot see). The file is not opened or read, so a file in
      use is no error.
  returned: success, read that probes at least one file
  type: list
  elements: dict
  sample:
    - path: '%SystemRoot%\System32\msra.exe'
      exists: true
applied:
  description: The number of changes written and in effect; 0 in check mode and after a rollback.
  returned: apply
  type: int
  sample: 3
rolled_back:
  description: Whether a failed write was undone completely (then RV(error=write_failed)).
  returned: apply
  type: bool
  sample: false
conflicts:
  description:
    - With RV(error=precondition), one item per change whose C(expect) did not hold, with
      C(index) (the change's position) and C(actual) (the target now). Empty otherwise.
  returned: apply
  type: list
  elements: dict
  sample:
    - index: 0
      actual:
        present: true
        kind: DWord
        data: "00000000"
"""
