# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The domain modules' parts, declared once: win_offer_ra and win_ra_firewall run one each,
win_remote_assistance runs both in one engine run. Internal use only."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _functional,
    _fw_options,
    _offer_options,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _local_gpo_part as local_gpo,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _offer_policy as offer_policy,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EnginePart,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_policy import (
    policy_wants,
    read_keys,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import (
    rules_wants,
)


def _offer_read(options) -> dict:
    functional = _functional.read_request(options)
    return {
        "keys": offer_policy.keys_to_read(options),
        "accounts": offer_policy.accounts_to_resolve(options),
        "firewall_rules": list(options.require_firewall_rules) + functional["firewall_rules"],
        "exists": functional["exists"],
        **local_gpo.files_to_read(local_gpo.uses_local_gpo(options)),
    }


OFFER = EnginePart(
    argument_spec=_offer_options.ARGUMENT_SPEC,
    validate=_offer_options.validate_options,
    read_request=_offer_read,
    desired=lambda options, current: (offer_policy.desired(options, current), []),
    render=lambda options, current: {"helpers": offer_policy.resulting_helpers(options, current)},
    result_keys=("helpers", "local_policy"),
    functional=_functional.problems,
    policy_records=lambda options, current: local_gpo.offer_policy(
        options, offer_policy.resulting_helpers(options, current)
    ),
)


def _firewall_read(options) -> dict:
    if options.backend == "rules":
        return {"keys": [], "accounts": [], "firewall_rules": list(options.rules)}
    return {
        "keys": read_keys(options.profiles),
        "accounts": [],
        "firewall_rules": [],
        **local_gpo.files_to_read(local_gpo.uses_local_gpo(options)),
    }


def _firewall_desired(options, current) -> tuple:
    if options.backend == "rules":
        return rules_wants(options, current), []
    wanted = policy_wants(options, current)
    return wanted.wants, wanted.warnings


FIREWALL = EnginePart(
    argument_spec=_fw_options.ARGUMENT_SPEC,
    validate=lambda params: (_fw_options.validate(params), []),
    read_request=_firewall_read,
    desired=_firewall_desired,
    result_keys=("local_policy",),
    policy_records=lambda options, current: local_gpo.firewall_policy(options),
)
