# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of win_ra_firewall: wires the options to the firewall decision code."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _fw_options
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_policy import (
    policy_wants,
    read_keys,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import (
    rules_wants,
)


class ActionModule(EngineAction):
    ARGUMENT_SPEC = _fw_options.ARGUMENT_SPEC

    def validate(self, params):
        return _fw_options.validate(params)

    def read_request(self, options):
        if options.backend == "rules":
            return {"keys": [], "accounts": [], "firewall_rules": list(options.rules)}
        return {"keys": read_keys(options.profiles), "accounts": [], "firewall_rules": []}

    def desired(self, options, current):
        if options.backend == "rules":
            return rules_wants(options, current)
        wanted = policy_wants(options, current)
        for warning in wanted.warnings:
            self.warn(warning)
        return wanted.wants
