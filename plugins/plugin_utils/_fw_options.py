# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`win_ra_firewall` options: the argument spec and the checks it cannot express.

Internal use only. The argument spec checks types and choices; `validate` checks what
depends on the backend and parses every exception entry, so that bad input fails on the
controller, naming the option and the value, before any connection is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    port_from_option,
    program_from_option,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_policy import (
    PROFILE_KEYS,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_presets import (
    DEFAULT_PRESET,
    DEFAULT_RULES,
    PRESET_NAMES,
    preset,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import (
    PROFILE_ORDER,
    rule_names,
)

BACKENDS = ("policy", "rules")
# The profile names are spelled once, where each backend maps them to the host.
PROFILES = {"policy": tuple(PROFILE_KEYS), "rules": PROFILE_ORDER}
DEFAULT_PROFILES = {"policy": PROFILES["policy"], "rules": ("domain",)}

# `profiles` and `rules` default to None so that `validate` can tell "not given" (take the
# backend's default) from a value given for the wrong backend.
ARGUMENT_SPEC = {
    "backend": {"type": "str", "choices": list(BACKENDS), "default": "policy"},
    "preset": {"type": "str", "choices": list(PRESET_NAMES), "default": DEFAULT_PRESET},
    "ports": {"type": "list", "elements": "raw"},
    "programs": {"type": "list", "elements": "raw"},
    "profiles": {"type": "list", "elements": "str"},
    "rules": {"type": "list", "elements": "str"},
    "exclusive": {"type": "bool", "default": False},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


@dataclass(frozen=True)
class FirewallOptions:
    backend: str
    state: str
    profiles: tuple
    ports: tuple = ()
    programs: tuple = ()
    rules: tuple = ()
    exclusive: bool = False


def validate(params: dict) -> FirewallOptions:
    """`params` as the argument spec validated them."""
    backend = params["backend"]
    profiles = _profiles(backend, params.get("profiles"))
    if backend == "rules":
        for option in ("ports", "programs"):
            if params.get(option) is not None:
                raise OptionError(option, params[option], "applies to backend=policy only")
        if params.get("exclusive"):
            raise OptionError("exclusive", True, "applies to backend=policy only")
        return FirewallOptions(
            "rules", params["state"], profiles, rules=_rules(params.get("rules"))
        )
    if params.get("rules") is not None:
        raise OptionError("rules", params["rules"], "applies to backend=rules only")
    defaults = preset(params["preset"])
    ports = _entries("ports", params.get("ports"), defaults.ports, port_from_option)
    programs = _entries("programs", params.get("programs"), defaults.programs, program_from_option)
    return FirewallOptions(
        "policy",
        params["state"],
        profiles,
        ports=ports,
        programs=programs,
        exclusive=bool(params.get("exclusive")),
    )


def _profiles(backend: str, given) -> tuple:
    if given is None:
        return DEFAULT_PROFILES[backend]
    allowed = PROFILES[backend]
    if not given:
        raise OptionError("profiles", given, "must name at least one profile")
    chosen = set()
    for index, profile in enumerate(given):
        if profile.lower() not in allowed:
            raise OptionError(
                f"profiles[{index}]",
                profile,
                f"backend={backend} knows the profiles {', '.join(allowed)}",
            )
        chosen.add(profile.lower())
    return tuple(profile for profile in allowed if profile in chosen)


def _rules(given) -> tuple:
    if given is None:
        return DEFAULT_RULES
    if not given:
        raise OptionError("rules", given, "must name at least one rule")
    return rule_names("rules", given)


def _entries(option: str, given, defaults: tuple, parse) -> tuple:
    if given is None:
        return defaults
    entries: list = []
    seen: dict = {}
    for index, value in enumerate(given):
        label = f"{option}[{index}]"
        entry = parse(value, label)
        if entry.identity in seen:
            # Windows would combine the two and let Disabled win: refuse the ambiguity.
            raise OptionError(
                label, value, f"same {_identity_text(entry)} as {option}[{seen[entry.identity]}]"
            )
        seen[entry.identity] = index
        entries.append(entry)
    return tuple(entries)


def _identity_text(entry) -> str:
    if entry.identity[0] == "port":
        return f"port and protocol ({entry.port}/{entry.protocol})"
    return f"program path ({entry.path})"
