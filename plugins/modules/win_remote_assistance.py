# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# Documentation only: the implementation is the action plugin
# plugins/action/win_remote_assistance.py, which runs the host engine
# winra.remote_assistance.win_ra_state.

DOCUMENTATION = r"""
---
module: win_remote_assistance
short_description: Apply the whole Offer Remote Assistance standard in one engine run
version_added: 1.1.0
description:
  - Runs M(winra.remote_assistance.win_offer_ra) (suboption O(offer)) and
    M(winra.remote_assistance.win_ra_firewall) (suboption O(firewall)) together, with the
    same options, the same checks and the same planning, but one C(read) of the host for
    both and one compare-and-swap C(apply) for every change of both. Either the whole
    standard lands or nothing does; a failed write is rolled back by the host engine.
  - A compliant host costs one module run (also in check mode), a drifted host two.
  - Every input problem of both parts is named in one message before any connection is made,
    each with its option (or its label from O(option_names)) and its value.
  - On top of the two modules' own checks, an enabled O(offer.state) needs at least one
    helper (M(winra.remote_assistance.win_offer_ra) only warns).
  - A part whose option is omitted (or null) is not managed and its result is C(null).
options:
  offer:
    description:
      - The Offer Remote Assistance policy, helpers, DCOM and Solicited Remote Assistance,
        with the options of M(winra.remote_assistance.win_offer_ra), with the same meaning and
        defaults.
      - Omit (or null) to leave them unmanaged.
    type: dict
    suboptions:
      state:
        description: As O(winra.remote_assistance.win_offer_ra#module:state).
        type: str
        choices: [ enabled, disabled, absent ]
        default: enabled
      permission:
        description: As O(winra.remote_assistance.win_offer_ra#module:permission).
        type: str
        choices: [ view, control ]
        default: view
      helpers:
        description: As O(winra.remote_assistance.win_offer_ra#module:helpers).
        type: list
        elements: str
        default: []
      helpers_mode:
        description: As O(winra.remote_assistance.win_offer_ra#module:helpers_mode).
        type: str
        choices: [ exact, add, remove ]
        default: exact
      validate_helpers:
        description: As O(winra.remote_assistance.win_offer_ra#module:validate_helpers).
        type: bool
        default: false
      policy_store:
        description:
          - As O(winra.remote_assistance.win_offer_ra#module:policy_store).
          - Both parts write the one Registry.pol; with both on V(local_gpo) the file is
            replaced once.
        type: str
        choices: [ local_gpo, registry ]
        default: local_gpo
      dcom:
        description: As O(winra.remote_assistance.win_offer_ra#module:dcom).
        type: bool
        default: true
      require_firewall_rules:
        description: As O(winra.remote_assistance.win_offer_ra#module:require_firewall_rules).
        type: list
        elements: str
        default: []
      solicited:
        description: As O(winra.remote_assistance.win_offer_ra#module:solicited).
        type: dict
        suboptions:
          state:
            description: As O(winra.remote_assistance.win_offer_ra#module:solicited.state).
            type: str
            choices: [ enabled, disabled, absent ]
            default: enabled
          permission:
            description: As O(winra.remote_assistance.win_offer_ra#module:solicited.permission).
            type: str
            choices: [ view, control ]
            default: view
          max_ticket_expiry:
            description: As O(winra.remote_assistance.win_offer_ra#module:solicited.max_ticket_expiry).
            type: int
            default: 1
          max_ticket_expiry_unit:
            description: As O(winra.remote_assistance.win_offer_ra#module:solicited.max_ticket_expiry_unit).
            type: str
            choices: [ minutes, hours, days ]
            default: hours
  firewall:
    description:
      - The Windows Firewall exceptions, with the options of
        M(winra.remote_assistance.win_ra_firewall), with the same meaning and defaults.
      - Omit (or null) to leave them unmanaged.
    type: dict
    suboptions:
      backend:
        description: As O(winra.remote_assistance.win_ra_firewall#module:backend).
        type: str
        choices: [ policy, rules ]
        default: policy
      preset:
        description: As O(winra.remote_assistance.win_ra_firewall#module:preset).
        type: str
        choices: [ legacy, modern, none ]
        default: modern
      ports:
        description: As O(winra.remote_assistance.win_ra_firewall#module:ports).
        type: list
        elements: raw
      programs:
        description: As O(winra.remote_assistance.win_ra_firewall#module:programs).
        type: list
        elements: raw
      profiles:
        description: As O(winra.remote_assistance.win_ra_firewall#module:profiles).
        type: list
        elements: str
      rules:
        description: As O(winra.remote_assistance.win_ra_firewall#module:rules).
        type: list
        elements: str
      exclusive:
        description: As O(winra.remote_assistance.win_ra_firewall#module:exclusive).
        type: bool
        default: false
      policy_store:
        description: As O(winra.remote_assistance.win_ra_firewall#module:policy_store).
        type: str
        choices: [ local_gpo, registry ]
        default: local_gpo
      state:
        description: As O(winra.remote_assistance.win_ra_firewall#module:state).
        type: str
        choices: [ present, absent ]
        default: present
  option_names:
    description:
      - How errors name the options, for a caller that feeds them from variables of its own
        (the role C(winra.remote_assistance.offer_remote_assistance) passes its variable
        names).
      - Maps an option path (C(offer.helpers), C(firewall.ports), C(offer.solicited)) to a
        label. A label covers the path and everything below it, so with
        C(offer.solicited) labelled C(my_solicited) an error of
        C(offer.solicited.max_ticket_expiry) names C(my_solicited.max_ticket_expiry) and an
        error of C(firewall.ports[2]) names C(my_ports[2]) when C(firewall.ports) is labelled
        C(my_ports). Paths without a label are named as they are.
      - Only error messages change; behaviour does not.
    type: dict
    default: {}
extends_documentation_fragment:
  - winra.remote_assistance.snapshot
notes:
  - An empty dictionary for a dictionary option (C(offer.solicited={})) is refused. Give
    its suboptions, or null to leave it unmanaged.
seealso:
  - module: winra.remote_assistance.win_offer_ra
  - module: winra.remote_assistance.win_ra_firewall
author:
  # validate-modules wants a GitHub handle; the project has none to name yet.
  - winra.remote_assistance maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Offer Remote Assistance with the KB's firewall exceptions, in one engine run
  winra.remote_assistance.win_remote_assistance:
    offer:
      helpers:
        - CONTOSO\Helpdesk
      validate_helpers: true
    firewall:
      preset: legacy

- name: Audit the whole standard
  winra.remote_assistance.win_remote_assistance:
    offer:
      helpers:
        - CONTOSO\Helpdesk
    firewall:
      backend: rules
  check_mode: true
  register: ra_audit

- name: Name errors after the variables that feed the options
  winra.remote_assistance.win_remote_assistance:
    offer:
      helpers: "{{ ra_helpers }}"
    option_names:
      offer.helpers: ra_helpers
"""

RETURN = r"""
snapshot:
  description:
    - As RV(winra.remote_assistance.win_offer_ra#module:snapshot), for the whole task.
  returned: always
  type: dict
functional_problems:
  description:
    - As RV(winra.remote_assistance.win_offer_ra#module:functional_problems), for the host;
      also under the part that found them.
  returned: always
  type: list
  elements: str
local_policy:
  description:
    - The parts' RV(winra.remote_assistance.win_offer_ra#module:local_policy) together
      (offer's rows, then firewall's); C(null) when no part uses O(offer.policy_store=local_gpo)
      or O(firewall.policy_store=local_gpo). Each part's own is also under its key.
  returned: always
  type: dict
changed:
  description: Whether any part changed (or, in check mode, would change) the host.
  returned: always
  type: bool
engine_runs:
  description:
    - How many times the task ran the host engine over WinRM, for both parts together.
    - C(0) when the input was invalid, C(1) for a compliant host or in check mode, C(2) when
      changes were applied; one more for each time a locked Local Group Policy file made the
      task send the same engine run again (at most two).
  returned: always
  type: int
  sample: 1
drift:
  description:
    - The drift items of RV(offer) followed by those of RV(firewall), shaped as
      M(winra.remote_assistance.win_offer_ra) and M(winra.remote_assistance.win_ra_firewall)
      return them.
  returned: always
  type: list
  elements: dict
gpo_conflicts:
  description: The Group Policy conflicts of both parts, offer's first.
  returned: always
  type: list
  elements: dict
diff:
  description: C(before) / C(after) of every managed value of both parts.
  returned: with --diff
  type: dict
offer:
  description:
    - The result M(winra.remote_assistance.win_offer_ra) gives for the same options, without
      C(failed), C(msg) and C(engine_runs) (C(changed), C(drift), C(gpo_conflicts),
      C(helpers), C(diff) with --diff, C(warnings) when any).
    - C(null) when O(offer) is omitted.
  returned: always
  type: dict
firewall:
  description:
    - The result M(winra.remote_assistance.win_ra_firewall) gives for the same options,
      without C(failed), C(msg) and C(engine_runs).
    - C(null) when O(firewall) is omitted.
  returned: always
  type: dict
error:
  description: The engine's error kind when the host refused or failed the change.
  returned: when the engine failed
  type: str
  sample: precondition
conflicts:
  description: For C(error=precondition), one item per value that changed since the read.
  returned: when the engine refused a compare-and-swap
  type: list
  elements: dict
rolled_back:
  description: Whether a failed write was undone; present when the engine reported it.
  returned: when the apply failed midway
  type: bool
"""
