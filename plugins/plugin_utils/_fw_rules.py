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
    check_each,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantRule,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    MAX_VALUE_NAME,
    ordinal_ignore_case,
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
    """Rule Names as given, checked; every bad one is named in one error.

    A Name is an ID matched exactly: a string, not blank, without spaces around it, and no
    longer than a registry value name (MAX_VALUE_NAME): Windows keeps each rule as a value
    named after its ID under the FirewallRules key of the firewall policy. Numbers, lists
    and other non-strings are refused, never converted. Repeats that differ only in case
    are dropped (ordinal_ignore_case, the registry's rule).
    """
    if not isinstance(given, (list, tuple)):
        raise OptionError(option, given, "must be a list of rule Names (strings)")
    checked = check_each(enumerate(given), lambda item: _rule_name(f"{option}[{item[0]}]", item[1]))
    names: dict = {}
    for name in checked:
        names.setdefault(ordinal_ignore_case(name), name)
    return tuple(names.values())


def _rule_name(label: str, name) -> str:
    if not isinstance(name, str):
        raise OptionError(label, name, "must be a string rule Name (ID)")
    if not name.strip() or name != name.strip():
        raise OptionError(label, name, "must be a rule Name (ID) without spaces around it")
    if len(name) > MAX_VALUE_NAME:
        raise OptionError(label, f"{name[:40]}...", f"is longer than {MAX_VALUE_NAME} characters")
    return name


def check_usable_rule(name: str, rule: dict | None) -> None:
    """Raise HostStateError unless the rule exists and belongs to the Remote Assistance group."""
    if rule is None or not rule.get("exists"):
        raise HostStateError(
            f"Failed to enable firewall rule '{name}': it does not exist on this host."
            " Remote Assistance is an optional feature on Windows Server (install the"
            " Remote-Assistance feature first); no replacement rule is created."
        )
    group = rule.get("group")
    if ordinal_ignore_case(group or "") != ordinal_ignore_case(REMOTE_ASSISTANCE_GROUP):
        raise HostStateError(
            f"Failed to change firewall rule '{name}': its group is {group!r}, not the"
            f" Remote Assistance group '{REMOTE_ASSISTANCE_GROUP}'; a rule of another"
            " group is never touched."
        )


def _ordered(profiles: set) -> tuple:
    return tuple(profile for profile in PROFILE_ORDER if profile in profiles)
