# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the implementation is the action plugin plugins/action/win_offer_ra.py,
# which runs the host engine winra.remote_assistance.win_ra_state.

DOCUMENTATION = r"""
---
module: win_offer_ra
short_description: Configure a Windows host to receive Offer Remote Assistance offers
version_added: 1.0.0
description:
  - Manages the B(Offer Remote Assistance) group policy of a Windows host the way Group Policy
    writes it (KB 301527), in the local registry policy keys, so that listed helpers can
    offer Remote Assistance without an invitation.
  - Manages the policy state, the single view/control choice for the whole helper list, the
    helper list itself, DCOM (C(EnableDCOM)), and optionally the B(Solicited Remote Assistance)
    policy.
  - Only the named values are touched. The C(Terminal Services) policy key also holds Remote
    Desktop policy; those values are never changed and the key is never deleted or recreated.
  - Reads the host once; applies only when something differs, with compare-and-swap writes
    that refuse to overwrite a value changed by someone else since the read. A compliant host
    costs one module run, a drifted host two.
  - Invalid input fails on the controller before any connection is made, naming the option
    and the value.
  - Helpers compare case-insensitively. An existing helper entry whose name and data match a
    requested helper in any letter case is compliant and kept exactly as stored, so a second
    run never rewrites it.
  - Windows Firewall exceptions for Remote Assistance are managed by
    M(winra.remote_assistance.win_ra_firewall).
options:
  state:
    description:
      - The state of the Offer Remote Assistance policy.
      - V(enabled) sets C(fAllowUnsolicited) to C(1), C(fAllowUnsolicitedFullControl) from
        O(permission) and manages the helper list under C(RAUnsolicit) as O(helpers_mode) says.
      - V(disabled) sets C(fAllowUnsolicited) to C(0) and deletes
        C(fAllowUnsolicitedFullControl) and every helper.
      - V(absent) is B(Not configured) in the policy editor; it deletes
        C(fAllowUnsolicited), C(fAllowUnsolicitedFullControl) and every helper.
      - V(enabled) fails on Home editions (EditionID C(Core*)), which have no Offer Remote
        Assistance policy; nothing is written.
    type: str
    choices: [ enabled, disabled, absent ]
    default: enabled
  permission:
    description:
      - What helpers may do. One choice applies to the whole helper list; the policy cannot
        give one helper view and another control.
      - V(view) writes C(fAllowUnsolicitedFullControl=0); V(control) writes C(1).
      - Used only when O(state=enabled).
    type: str
    choices: [ view, control ]
    default: view
  helpers:
    description:
      - Domain users and domain groups who may offer Remote Assistance, each written
        C(DOMAIN\name) with the NetBIOS domain name (for example C(CONTOSO\Helpdesk)).
      - Each helper is stored as a C(REG_SZ) value under
        C(HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\RAUnsolicit)
        whose name and data are both the helper, as Group Policy writes it.
      - >-
        Rejected before any connection is made, naming the value: no backslash or more than
        one; a domain part that is empty, longer than 15 characters, dotted like a DNS name
        (C(contoso.com)) or holding one of C(\ / : * ? " < > |); an account name that is
        empty, longer than 256 characters, ending with a period, made only of periods and
        spaces, or holding one of C(" / \ [ ] : ; | = , + * ? < > @); control characters;
        leading or trailing whitespace (input is never trimmed); two entries that differ only
        in letter case; anything but a string. Every bad helper is named in one message.
      - Letter case is compared as the registry compares value names (ordinal, each
        character mapped to upper case), so C(CONTOSO\STRASSE) and C(CONTOSO\straße) are
        two helpers.
      - Ignored, with a warning, when O(state) is not V(enabled).
    type: list
    elements: str
    default: []
  helpers_mode:
    description:
      - How O(helpers) relates to the helper list on the host. Used only when
        O(state=enabled).
      - V(exact) makes the list exclusive, as Group Policy does; helpers not listed are
        removed. An empty O(helpers) then removes every helper (a warning says so).
      - V(add) ensures the listed helpers and leaves the others in place.
      - V(remove) removes the listed helpers, whether an entry names the helper in its value
        name or in its data, and leaves the others in place.
    type: str
    choices: [ exact, add, remove ]
    default: exact
  validate_helpers:
    description:
      - Resolve every helper to a SID on the host during the read, and fail before any write,
        naming every helper that does not resolve.
      - The policy editor cannot check the accounts typed in; this does it on the host, with the
        host's view of the domain and its trusts.
      - Only helpers being granted are resolved; O(helpers_mode=remove) never needs the
        accounts to exist.
    type: bool
    default: false
  dcom:
    description:
      - Ensure C(HKLM:\SOFTWARE\Microsoft\Ole\EnableDCOM) is the C(REG_SZ) string C(Y);
        Remote Assistance uses DCOM and does not work when it is C(N) or missing.
      - Data compares case-sensitively, so C(y) or a C(REG_DWORD) value is rewritten as C(Y).
      - V(false) leaves the value alone; the module never writes C(N).
    type: bool
    default: true
  require_firewall_rules:
    description:
      - Names (IDs) of built-in Windows Firewall rules that must exist, in the Remote
        Assistance group C(@FirewallAPI.dll,-33002), before anything is written.
      - A preflight for a M(winra.remote_assistance.win_ra_firewall) task with
        O(winra.remote_assistance.win_ra_firewall#module:backend=rules) that follows. A host
        without the Remote Assistance feature (an optional feature on Windows Server) then
        fails here, with nothing written, instead of ending with the policy on and the
        firewall closed.
      - The rules are read in the same engine run as the policy; no round trip is added.
    type: list
    elements: str
    default: []
    version_added: 1.0.0
  solicited:
    description:
      - The B(Solicited Remote Assistance) policy (invitations), in the same
        C(Terminal Services) key.
      - Omit it (or give null) to leave the solicited policy unmanaged. Anything else must be
        a non-empty dictionary of the suboptions below; C({}) is refused rather than read as
        "enabled with every default".
      - Older clients (Windows XP before SP2) cannot receive offers when solicited Remote
        Assistance is disabled.
    type: dict
    suboptions:
      state:
        description:
          - V(enabled) sets C(fAllowToGetHelp=1) and writes C(fAllowFullControl),
            C(MaxTicketExpiry) and C(MaxTicketExpiryUnits), as the policy editor does.
          - V(disabled) sets C(fAllowToGetHelp=0) and deletes the other three values.
          - V(absent) (Not configured) deletes all four values.
        type: str
        choices: [ enabled, disabled, absent ]
        default: enabled
      permission:
        description:
          - V(view) writes C(fAllowFullControl=0); V(control) writes C(1).
        type: str
        choices: [ view, control ]
        default: view
      max_ticket_expiry:
        description:
          - The maximum lifetime of an invitation, C(MaxTicketExpiry), from C(1) to C(99)
            in units of O(solicited.max_ticket_expiry_unit).
        type: int
        default: 1
      max_ticket_expiry_unit:
        description:
          - The unit of O(solicited.max_ticket_expiry), stored in C(MaxTicketExpiryUnits) as
            C(0) for V(minutes), C(1) for V(hours) and C(2) for V(days).
        type: str
        choices: [ minutes, hours, days ]
        default: hours
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - winra.remote_assistance.policy_store
  - winra.remote_assistance.snapshot
attributes:
  check_mode:
    support: full
    details: Reads the host and reports every difference in RV(drift); writes nothing.
  diff_mode:
    support: full
    details: One line per managed value, C(path\name = TYPE:data) or C((absent)).
  platform:
    platforms: windows
notes:
  - A domain Group Policy that manages the same values wins at every policy refresh; a local
    setting that disagrees with it is overwritten again and again. Manage the policy in one
    place. The module reports such values in RV(gpo_conflicts) and warns about each.
  - The helper accounts must be in the host's domain or in a trusted domain.
  - The policy takes effect at once; no reboot is needed.
  - The C(fUseMailto) value of the solicited policy is not managed.
seealso:
  - module: winra.remote_assistance.win_ra_firewall
  - module: ansible.windows.win_regedit
  - name: KB 301527
    description: >-
      How to configure a computer to receive Offer Remote Assistance offers in Windows XP and
      Windows Server 2003.
    link: https://support.microsoft.com/kb/301527
author:
  # validate-modules wants a GitHub handle; the project has none to name yet.
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Let the help desk offer Remote Assistance, view only
  winra.remote_assistance.win_offer_ra:
    helpers:
      - CONTOSO\Helpdesk
      - CONTOSO\RA-Experts

- name: Allow remote control, check the accounts on the host first
  winra.remote_assistance.win_offer_ra:
    permission: control
    helpers:
      - CONTOSO\Helpdesk
    validate_helpers: true

- name: Add one helper and leave the others in place
  winra.remote_assistance.win_offer_ra:
    helpers:
      - CONTOSO\Tier2
    helpers_mode: add

- name: Remove a helper who left
  winra.remote_assistance.win_offer_ra:
    helpers:
      - CONTOSO\jdoe
    helpers_mode: remove

- name: Also allow invitations for up to 4 hours
  winra.remote_assistance.win_offer_ra:
    helpers:
      - CONTOSO\Helpdesk
    solicited:
      state: enabled
      permission: view
      max_ticket_expiry: 4
      max_ticket_expiry_unit: hours

- name: Audit only, report drift
  winra.remote_assistance.win_offer_ra:
    helpers:
      - CONTOSO\Helpdesk
  check_mode: true
  register: offer_ra_audit

- name: Disable Offer Remote Assistance
  winra.remote_assistance.win_offer_ra:
    state: disabled

- name: Back to Not configured, leave DCOM alone
  winra.remote_assistance.win_offer_ra:
    state: absent
    dcom: false
"""

RETURN = r"""
snapshot:
  description:
    - The host's snapshot when O(snapshot_dir) is set and the task applied changes, with
      C(path), C(sha256), C(taken_at) (UTC) and C(written) (C(false) when an earlier
      snapshot was kept). C(null) otherwise.
  returned: always
  type: dict
functional_problems:
  description:
    - Why Offer Remote Assistance cannot work on the host even with the policy right (the
      status C(not_functional)), one sentence each, from the same C(read); empty when it can,
      and when the policy is not to be enabled.
    - C(msra.exe) missing under C(%SystemRoot%\System32) (on Windows Server it exists only
      with the Remote Assistance feature), or a built-in Remote Assistance firewall rule
      that does not exist.
  returned: always
  type: list
  elements: str
local_policy:
  description:
    - With O(policy_store=local_gpo), the Local Group Policy side of the task; C(null) with
      V(registry) or when the task failed before comparing.
    - C(values) has one row per managed value that Registry.pol decides, as read before the
      task (C(policy) and C(live) are C({type, data}) or C(null) for absent); C(status) is
      C(agrees) or C(differs) (a refresh has not applied the file yet, or the live value was
      changed outside policy; the next refresh writes the file's value). C(changes) lists
      the Registry.pol records the task adds or removes, C(differs) counts rows that differ.
  returned: always
  type: dict
  sample:
    store: local_gpo
    file: '%SystemRoot%\System32\GroupPolicy\Machine\Registry.pol'
    changes: []
    differs: 0
    values:
      - setting: offer_policy
        path: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
        name: fAllowUnsolicited
        policy: {"type": "REG_DWORD", "data": 1}
        live: {"type": "REG_DWORD", "data": 1}
        status: agrees
drift:
  description:
    - One item per managed value that differs from what the task asks; empty when compliant.
    - With O(policy_store=local_gpo), also one item per C(Registry.pol) record the task adds
      or removes (C(setting) V(local_group_policy), C(path) the file, C(name) the record's
      C(<key>\<value>)); live values that are right do not make a host compliant when its
      Local Group Policy does not hold the standard.
    - In check mode this is the audit report; otherwise it lists what was changed.
  returned: always
  type: list
  elements: dict
  contains:
    setting:
      description: Which setting the value belongs to.
      type: str
      returned: always
      sample: helpers
      choices: [ offer_policy, permission, helpers, dcom, solicited, local_group_policy ]
    path:
      description: The registry key path.
      type: str
      returned: always
      sample: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services\RAUnsolicit
    name:
      description: The value name, in the case stored on the host when it exists.
      type: str
      returned: always
      sample: CONTOSO\Helpdesk
    expected:
      description: The value the task asks for, C(null) when it must be absent.
      type: dict
      returned: always
      sample: {"type": "REG_SZ", "data": "CONTOSO\\Helpdesk"}
    actual:
      description: The value the host held when read, C(null) when absent.
      type: dict
      returned: always
      sample: null
  sample:
    - setting: offer_policy
      path: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
      name: fAllowUnsolicited
      expected: {"type": "REG_DWORD", "data": 1}
      actual: {"type": "REG_DWORD", "data": 0}
gpo_conflicts:
  description:
    - One item per managed value that a domain Group Policy Object sets to something else
      than the task asks (or sets at all, for a value the task removes), from the host's
      Resultant Set of Policy. Group Policy writes its value again at every refresh (every
      90 ± 30 minutes and at boot), so the value flaps; change the GPO instead.
    - The task does not write those values (a write would only flap back at the next
      refresh); it leaves them as they are, keeps them in RV(drift) (they do differ from what
      the task asks), and warns once per conflict, naming the GPO (in check mode too).
      C(changed) covers only what is written.
    - Empty when there is none, when the host has no Resultant Set of Policy (not domain
      joined), or when the task failed before comparing.
  returned: always
  type: list
  elements: dict
  contains:
    setting:
      description: Which setting the value belongs to, as in RV(drift).
      type: str
      returned: always
      sample: permission
    path:
      description: The registry key path.
      type: str
      returned: always
      sample: HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services
    name:
      description: The value name, as Group Policy reports it.
      type: str
      returned: always
      sample: fAllowUnsolicitedFullControl
    gpo:
      description: The display name of the GPO that sets the value.
      type: str
      returned: always
      sample: RA Baseline (view only)
    gpo_value:
      description: What the GPO sets, C(type) and C(data).
      type: dict
      returned: always
      sample: {"type": "REG_DWORD", "data": 0}
    expected:
      description: What the task asks for, C(null) when the value must be absent.
      type: dict
      returned: always
      sample: {"type": "REG_DWORD", "data": 1}
engine_runs:
  description:
    - How many times the task ran the host engine over WinRM.
    - C(0) when the input was invalid, C(1) for a compliant host or in check mode, C(2) when
      changes were applied; one more for each time a locked Local Group Policy file made the
      task send the same engine run again (at most two).
  returned: always
  type: int
  sample: 1
helpers:
  description:
    - The helper list the host holds once the task has run (in check mode, would hold), in the
      order the host lists the values. Compliant entries appear as stored.
    - C(null) when the task failed.
  returned: always
  type: list
  elements: str
  sample: ["CONTOSO\\Helpdesk", "CONTOSO\\RA-Experts"]
error:
  description:
    - The engine's error kind when the host refused or failed the change, for example
      C(precondition) when a value changed between the read and the write (nothing written),
      C(write_failed) (everything rolled back) or C(access_denied).
  returned: when the engine failed
  type: str
  sample: precondition
conflicts:
  description: For C(error=precondition), one item per value that changed since the read.
  returned: when the engine refused a compare-and-swap
  type: list
  elements: dict
  sample:
    - path: HKLM:\SOFTWARE\Microsoft\Ole
      name: EnableDCOM
      expected: {"present": true, "type": "REG_SZ", "data": "N"}
      actual: {"present": true, "type": "REG_SZ", "data": "Y"}
rolled_back:
  description: Whether a failed write was undone; present when the engine reported it.
  returned: when the apply failed midway
  type: bool
  sample: true
"""
