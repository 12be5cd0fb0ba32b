# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether Offer Remote Assistance can work on a host whose policy is right.

Internal use only. The policy can be exactly as KB 301527 asks while nobody can offer help:
the Remote Assistance program (`msra.exe`) is missing (on Windows Server it exists only with
the Remote Assistance feature installed), or the built-in firewall rules it needs do not
exist. Both come from the `read` the task makes anyway (`exists`, `firewall_rules`): the
program is only probed for existence, never read (it is several hundred KB, and a running
Remote Assistance session holds it open).
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    answer_for,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_presets import (
    DEFAULT_RULES,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
)

MSRA = "%SystemRoot%\\System32\\msra.exe"


def read_request(options) -> dict:
    """What the check needs from the read: nothing unless the policy is to be enabled."""
    if getattr(options, "state", None) != "enabled":
        return {"exists": [], "firewall_rules": []}
    return {"exists": [MSRA], "firewall_rules": list(DEFAULT_RULES)}


def problems(options, read: dict) -> list:
    """One sentence per reason Offer Remote Assistance cannot work; empty when it can (or
    when the policy is not to be enabled). Only what the read reports as absent counts:
    an item the read did not cover is not a problem."""
    if getattr(options, "state", None) != "enabled":
        return []
    found = []
    msra = answer_for(read.get("exists"), MSRA)
    if msra is not None and not msra.get("exists"):
        found.append(
            f"{msra.get('path') or MSRA} is missing: Offer Remote Assistance cannot start "
            "(on Windows Server, install the Remote Assistance feature)"
        )
    rules = {name_key(rule.get("name", "")): rule for rule in read.get("firewall_rules") or []}
    for name in DEFAULT_RULES:
        rule = rules.get(name_key(name))
        if rule is not None and not rule.get("exists"):
            found.append(
                f"the built-in firewall rule '{name}' does not exist: helpers cannot connect "
                "(on Windows Server, install the Remote Assistance feature)"
            )
    return found
