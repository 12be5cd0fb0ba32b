# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_offer_ra: wires the module's options to the Offer RA decisions in plugin_utils."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _offer_policy as policy
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._offer_options import (
    ARGUMENT_SPEC,
    validate_options,
)


class ActionModule(EngineAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    EXTRA_RESULT_KEYS = ("helpers",)

    def validate(self, params):
        options, warnings = validate_options(params)
        for warning in warnings:
            self.warn(warning)
        return options

    def read_request(self, options):
        return {
            "keys": policy.keys_to_read(options),
            "accounts": policy.accounts_to_resolve(options),
            "firewall_rules": list(options.require_firewall_rules),
        }

    def desired(self, options, current):
        return policy.desired(options, current)

    def extra_result(self, options, current):
        return {"helpers": policy.resulting_helpers(options, current)}
