# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired state of the built-in Remote Assistance firewall rules (backend `rules`).

Internal use only. Rules are addressed by Name (their ID) only: display names and display
groups are translated ("Fjernhjelp" on nb-NO) and are never used to find or judge a rule.
A rule is ours to touch only if its group is the locale-independent Remote Assistance
group string. A missing rule is never replaced: Remote Assistance is an optional feature
on Windows Server, and a home-made rule would open the port without the feature.

- present: the rule is enabled, in the union of its current profiles and the requested
  ones (profiles others enabled it for stay).
- absent: the rule is disabled, its profiles unchanged. A rule that does not exist is
  already not enabled, so it is not an error here.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantRule,
)

REMOTE_ASSISTANCE_GROUP = "@FirewallAPI.dll,-33002"
RULES_SETTING = "firewall_rules"
PROFILE_ORDER = ("domain", "private", "public")


def rules_wants(options, current: CurrentState) -> list:
    """`options` is a FirewallOptions with backend `rules`."""
    wants = []
    for name in options.rules:
        rule = current.rule(name)
        if (rule is None or not rule.get("exists")) and options.state == "absent":
            continue
        check_usable_rule(name, rule)
        current_profiles = set(rule.get("profiles") or [])
        if options.state == "present":
            profiles = _ordered(current_profiles | set(options.profiles))
            wants.append(WantRule(RULES_SETTING, rule.get("name") or name, True, profiles))
        else:
            profiles = _ordered(current_profiles)
            wants.append(WantRule(RULES_SETTING, rule.get("name") or name, False, profiles))
    return wants


def rule_names(option: str, given) -> tuple:
    """Rule Names as given, checked: none blank or with spaces around it (a Name is an ID,
    matched exactly), repeats that differ only in case dropped."""
    names: list = []
    for index, name in enumerate(given):
        if not name.strip() or name != name.strip():
            raise OptionError(
                f"{option}[{index}]", name, "must be a rule Name (ID) without spaces around it"
            )
        if name.casefold() not in (known.casefold() for known in names):
            names.append(name)
    return tuple(names)


def check_usable_rule(name: str, rule: dict | None) -> None:
    """Raise HostStateError unless the rule exists and belongs to the Remote Assistance group."""
    if rule is None or not rule.get("exists"):
        raise HostStateError(
            f"Failed to enable firewall rule '{name}': it does not exist on this host."
            " Remote Assistance is an optional feature on Windows Server (install the"
            " Remote-Assistance feature first); no replacement rule is created."
        )
    group = rule.get("group")
    if (group or "").casefold() != REMOTE_ASSISTANCE_GROUP.casefold():
        raise HostStateError(
            f"Failed to change firewall rule '{name}': its group is {group!r}, not the"
            f" Remote Assistance group '{REMOTE_ASSISTANCE_GROUP}'; a rule of another"
            " group is never touched."
        )


def _ordered(profiles: set) -> tuple:
    return tuple(profile for profile in PROFILE_ORDER if profile in profiles)
