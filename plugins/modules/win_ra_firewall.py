# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This file holds documentation only: the module runs as the action plugin
# plugins/action/win_ra_firewall.py, which hands host work to win_ra_state.

DOCUMENTATION = r"""
---
module: win_ra_firewall
short_description: Open Windows Firewall for Offer Remote Assistance
version_added: 1.0.0
description:
  - Lets Offer Remote Assistance through Windows Firewall, as step 6 of Microsoft KB 301527
    prescribes, idempotently and with drift reports in check mode.
  - With O(backend=policy) (the default) it manages the Windows Firewall Group Policy
    exception lists the KB names, under
    C(HKLM\SOFTWARE\Policies\Microsoft\WindowsFirewall\DomainProfile) and
    C(...\StandardProfile) - the port list C(GloballyOpenPorts\List) and the program list
    C(AuthorizedApplications\List), one C(REG_SZ) value per entry with value name = data,
    and the C(Enabled) flag (C(REG_DWORD) V(1)) of each list it writes entries to.
  - The policy lists are additive, so entries written by others may sit beside ours. An entry
    is recognised by its parsed data (port and protocol, or program path), whatever its value
    name; scripts often name a port entry C(135:TCP). A value holding exactly our entry
    counts as ours and is kept under its name. A value for the same port and protocol (or
    program path) with other data (another scope, V(Disabled), another name) is removed,
    because Windows combines such duplicates and lets V(Disabled) win. Values that do not
    parse are left in place with a warning, unless O(exclusive=true).
  - With O(backend=rules) it enables the built-in Remote Assistance firewall rules instead,
    addressed by their Name (ID), never by display name (display names are translated, for
    example C(Fjernhjelp) on Norwegian Windows). A rule must belong to the group
    C(@FirewallAPI.dll,-33002). A missing rule fails the task (Remote Assistance is an
    optional feature on Windows Server); no replacement rule is ever created.
  - On modern Windows the legacy policy exceptions take effect but do not show in
    C(Get-NetFirewallRule); verify them with a TCP connection from outside.
  - The host state is read once; a compliant host costs one WinRM module run, a drifted host
    two. Every write is a compare-and-swap against what was read, so a value someone else
    changed in between is never overwritten.
  - Bad input fails on the controller, naming the option and the value, before any
    connection is made.
options:
  backend:
    description:
      - V(policy) writes the Windows Firewall policy exception lists of KB 301527.
      - V(rules) enables the built-in Remote Assistance firewall rules by Name.
    type: str
    choices: [policy, rules]
    default: policy
  preset:
    description:
      - Chooses the default O(ports) and O(programs) for O(backend=policy).
      - V(modern) is port V(135:TCP:*:Enabled:Offer Remote Assistance) and the programs
        C(%SystemRoot%\System32\msra.exe) (named C(Remote Assistance)) and
        C(%SystemRoot%\System32\raserver.exe) (named C(Offer Remote Assistance)), which exist
        on Windows 7 and later.
      - V(legacy) is KB 301527's list verbatim, for Windows XP and Server 2003 - port
        C(135:TCP:*:Enabled:Offer Remote Assistance) and the programs
        C(%WINDIR%\SYSTEM32\Sessmgr.exe:*:Enabled:Remote Assistance),
        C(%WINDIR%\PCHealth\HelpCtr\Binaries\Helpsvc.exe:*:Enabled:Offer Remote Assistance) and
        C(%WINDIR%\PCHealth\HelpCtr\Binaries\Helpctr.exe:*:Enabled:Remote Assistance – Windows Messenger and Voice)
        (with an en dash, U+2013, kept byte-exact).
      - V(none) has no entries; give O(ports) and O(programs) yourself.
      - Ignored with O(backend=rules).
    type: str
    choices: [legacy, modern, none]
    default: modern
  ports:
    description:
      - Port exceptions, replacing the preset's ports. V([]) manages no port entries.
      - A string C(port:protocol:scope:status:name), for example
        V(135:TCP:*:Enabled:Offer Remote Assistance); or a dict with the keys C(port)
        (1-65535, required), C(protocol) (C(TCP) or C(UDP), required), C(scope) (string or
        list, default C(*)), C(enabled) (bool, default V(true)) and C(name) (required).
      - Protocol and status (C(Enabled)/C(Disabled)) are case-insensitive and written in that
        canonical spelling.
      - C(scope) is C(*) or a comma list, without spaces, of IPv4 addresses, subnets as
        C(a.b.c.d/nn) or C(a.b.c.d/255.255.255.0), and C(LocalSubNet). Octets with leading
        zeros are refused (Windows would read them as octal).
      - The name is free text but cannot be empty or contain C(:) (program entries are split
        from the right, so the same rule holds for both lists).
      - Two entries for the same port and protocol are refused.
      - Only with O(backend=policy).
    type: list
    elements: raw
  programs:
    description:
      - Program exceptions, replacing the preset's programs. V([]) manages no program entries.
      - A string C(path:scope:status:name), for example
        V(%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance); or a dict with the
        keys C(path) (required), C(scope), C(enabled) and C(name) (required) as for O(ports).
      - The path may start with a drive (C(C:\...)) and may use environment variables, which
        are kept unexpanded. Paths compare case-insensitively; C(%WINDIR%) and
        C(%SystemRoot%) are different paths to this module.
      - Two entries for the same path are refused.
      - One rule for a program path given here (entries already on the host are not judged
        by it) refuses, naming the item, a UNC path (C(\\\\server\\share\\...),
        C(//server/...)), a C(..) segment, a wildcard (C(*), C(?)), a control character and
        the bidirectional controls U+200E, U+200F, U+061C, U+202A-U+202E and U+2066-U+2069,
        because each makes the exception mean another program than it reads as.
      - An entry (port or program) whose text is longer than 16,383 characters, the
        registry's limit for the value name it is stored under, is refused.
      - Only with O(backend=policy).
    type: list
    elements: raw
  profiles:
    description:
      - The firewall profiles to manage.
      - With O(backend=policy) V(domain) and V(standard); the default is both.
      - With O(backend=rules) V(domain), V(private) and V(public); the default is V(domain).
      - Profile names match in any letter case (V(Domain) is V(domain)).
        A rule is enabled in the union of the profiles it already has and these.
    type: list
    elements: str
  rules:
    description:
      - The Names (IDs) of the built-in Remote Assistance rules to enable.
      - The default is C(RemoteAssistance-DCOM-In-TCP-NoScope-Active) (TCP 135, RPCSS) and
        C(RemoteAssistance-RAServer-In-TCP-NoScope-Active) (raserver.exe), the rules Offer
        Remote Assistance needs.
      - Each Name must be a string (numbers and lists are refused, never converted), without
        spaces around it, at most 16,383 characters (Windows keeps a rule as a registry value
        named after its ID). Names compare ignoring letter case.
      - Only with O(backend=rules).
    type: list
    elements: str
  exclusive:
    description:
      - With O(backend=policy) and O(state=present), also remove every entry of the managed
        lists that this task does not manage, including malformed ones, in the profiles given
        by O(profiles). With V(true) and no entries for a list, that list is emptied.
      - Has no effect with O(state=absent).
    type: bool
    default: false
  state:
    description:
      - V(present) makes sure the entries are in the lists (or the rules are enabled).
      - V(absent) removes exactly the values whose data is one of the entries this task
        manages, and nothing else. The lists' C(Enabled) flags stay, because other entries or
        tools may rely on the list being in force.
      - With O(backend=rules), V(absent) disables the rules and leaves their profiles as they
        are; a rule that does not exist is already not enabled and is not an error.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - winra.remote_assistance.policy_store
  - winra.remote_assistance.snapshot
attributes:
  check_mode:
    support: full
    details: Check mode reads the host once, writes nothing and reports every difference in RV(drift).
  diff_mode:
    support: full
    details: One line per managed value, C(path\name = TYPE:data), or per rule.
  platform:
    platforms: windows
notes:
  - Windows accepts malformed exception strings silently; this module refuses them in its
    input and reports (but keeps) malformed entries others wrote.
  - Domain Group Policy that manages the same lists wins at every refresh; manage a host's
    firewall either with this module or with a domain GPO. The module reports values a GPO
    sets differently in RV(gpo_conflicts) and warns about each.
seealso:
  - module: winra.remote_assistance.win_offer_ra
  - module: community.windows.win_firewall_rule
  - name: KB 301527
    description: How to configure a computer to receive Offer Remote Assistance offers.
    link: https://support.microsoft.com/kb/301527
author:
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Open the firewall for Offer Remote Assistance (policy lists, modern programs)
  winra.remote_assistance.win_ra_firewall:

- name: Write KB 301527's list verbatim, domain profile only, local subnet only
  winra.remote_assistance.win_ra_firewall:
    preset: legacy
    profiles: [domain]
    ports:
      - 135:TCP:LocalSubNet:Enabled:Offer Remote Assistance

- name: Structured entries, and remove every list entry we do not manage
  winra.remote_assistance.win_ra_firewall:
    preset: none
    exclusive: true
    ports:
      - port: 135
        protocol: TCP
        scope: [LocalSubNet, 10.20.0.0/16]
        name: Offer Remote Assistance
    programs:
      - path: '%SystemRoot%\System32\raserver.exe'
        scope: LocalSubNet
        name: Offer Remote Assistance

- name: Enable the built-in Remote Assistance rules instead (Windows 7 and later)
  winra.remote_assistance.win_ra_firewall:
    backend: rules
    profiles: [domain]

- name: Audit only - report drift without writing
  winra.remote_assistance.win_ra_firewall:
  check_mode: true
  register: ra_firewall

- name: Remove exactly the entries this collection writes
  winra.remote_assistance.win_ra_firewall:
    state: absent
"""

RETURN = r"""
snapshot:
  description:
    - The host's snapshot when O(snapshot_dir) is set and the task applied changes, with
      C(path), C(sha256), C(taken_at) (UTC) and C(written) (C(false) when an earlier
      snapshot was kept). C(null) otherwise.
  returned: always
  type: dict
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
    - One item per value or rule that differs from the desired state (what was changed, or
      in check mode what would be). Empty when the host is compliant.
  returned: always
  type: list
  elements: dict
  sample:
    - setting: firewall_ports
      path: HKLM:\SOFTWARE\Policies\Microsoft\WindowsFirewall\DomainProfile\GloballyOpenPorts\List
      name: "135:TCP"
      expected: null
      actual: {type: REG_SZ, data: "135:TCP:*:Disabled:Offer Remote Assistance"}
  contains:
    setting:
      description:
        - What the item belongs to - V(firewall_list_enabled) (a list's C(Enabled) flag),
          V(firewall_ports), V(firewall_programs) or V(firewall_rules); V(local_group_policy)
          for a C(Registry.pol) record the task adds or removes (O(policy_store=local_gpo)),
          with C(path) the file and C(name) the record's C(<key>\<value>).
      type: str
      returned: always
    path:
      description: The registry key (C(HKLM:\...)), or C(FirewallRule) for a rule.
      type: str
      returned: always
    name:
      description: The value name, or the rule Name.
      type: str
      returned: always
    expected:
      description:
        - The desired C({type, data}) of a value (V(null) when it must be absent), or
          C({enabled, profiles}) of a rule.
      type: dict
      returned: always
    actual:
      description:
        - What the host held, in the same form (V(null) when the value is absent).
      type: dict
      returned: always
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
      sample: firewall_list_enabled
    path:
      description: The registry key path.
      type: str
      returned: always
      sample: HKLM:\SOFTWARE\Policies\Microsoft\WindowsFirewall\DomainProfile\GloballyOpenPorts
    name:
      description: The value name, as Group Policy reports it.
      type: str
      returned: always
      sample: Enabled
    gpo:
      description: The display name of the GPO that sets the value.
      type: str
      returned: always
      sample: Workstation firewall
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
    - WinRM module runs this task made (1 when compliant or in check mode, 2 when it applied),
      one more for each time a locked Local Group Policy file made the task send the same
      engine run again (at most two).
  returned: always
  type: int
  sample: 1
error:
  description:
    - On failure reported by the host, its kind, for example C(precondition) (a value changed
      between the read and the write; nothing was written) or C(write_failed) (a write failed
      and everything already changed was restored).
  returned: when the host reported a failure
  type: str
  sample: precondition
conflicts:
  description: On C(precondition) failures, one item per value that was not as read.
  returned: when the host reported a failure
  type: list
  elements: dict
rolled_back:
  description: Whether a failed write was undone.
  returned: when the host reported a failure
  type: bool
"""
