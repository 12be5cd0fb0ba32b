# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The `policy_store` option, documented once for win_offer_ra and win_ra_firewall."""


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  policy_store:
    description:
      - Where the policy is kept. V(local_gpo) writes the machine Local Group Policy, as
        C(gpedit.msc) does (C(%SystemRoot%\System32\GroupPolicy\Machine\Registry.pol) and
        C(gpt.ini)), and the live values in the same engine run, so the effect does not wait
        for a refresh and a Group Policy refresh keeps the values. V(registry) writes only the
        live policy values, as before.
      - V(local_gpo) reads both files in the same C(read) as the registry (no extra round
        trip). Only the records this collection manages change; every other record is kept
        byte for byte and in order. C(gpt.ini)'s machine version is raised only when
        C(Registry.pol) changes. A second run with the same input writes nothing.
      - A C(Registry.pol) that does not parse completely fails the task, naming the host, the
        file and the byte offset; nothing is written.
      - What goes into C(Registry.pol) - M(winra.remote_assistance.win_offer_ra) the Offer
        Remote Assistance policy (O(winra.remote_assistance.win_offer_ra#module:state),
        O(winra.remote_assistance.win_offer_ra#module:permission),
        O(winra.remote_assistance.win_offer_ra#module:helpers)), while solicited Remote
        Assistance and DCOM stay live values only (DCOM is not a policy);
        M(winra.remote_assistance.win_ra_firewall) the exception lists of
        O(winra.remote_assistance.win_ra_firewall#module:backend=policy) (the built-in rules
        are not policy).
      - The engine's file primitives have been verified against the lab only, not yet on
        Windows; see the Local Group Policy guide.
    type: str
    choices: [ local_gpo, registry ]
    default: local_gpo
    version_added: 1.1.0
"""
