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

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    Collected,
    OptionError,
    OptionErrors,
    check_each,
)
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
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    ARGUMENT_SPEC as POLICY_STORE_SPEC,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    DEFAULT_STORE,
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
    **POLICY_STORE_SPEC,
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
    policy_store: str = DEFAULT_STORE  # backend policy only: rules are not policy


def validate(params: dict) -> FirewallOptions:
    """`params` as the argument spec validated them. Every problem is named at once."""
    backend = params["backend"]
    collected = Collected()
    profiles = collected.check(_profiles, backend, params.get("profiles"))
    if backend == "rules":
        for option in ("ports", "programs"):
            if params.get(option) is not None:
                collected.errors.append(
                    OptionError(option, params[option], "applies to backend=policy only")
                )
        if params.get("exclusive"):
            collected.errors.append(
                OptionError("exclusive", True, "applies to backend=policy only")
            )
        rules = collected.check(_rules, params.get("rules"))
        collected.raise_any()
        return FirewallOptions("rules", params["state"], profiles, rules=rules)
    if params.get("rules") is not None:
        collected.errors.append(
            OptionError("rules", params["rules"], "applies to backend=rules only")
        )
    defaults = preset(params["preset"])
    ports = collected.check(
        _entries, "ports", params.get("ports"), defaults.ports, port_from_option
    )
    programs = collected.check(
        _entries, "programs", params.get("programs"), defaults.programs, program_from_option
    )
    collected.raise_any()
    return FirewallOptions(
        "policy",
        params["state"],
        profiles,
        ports=ports,
        programs=programs,
        exclusive=bool(params.get("exclusive")),
        policy_store=params.get("policy_store") or DEFAULT_STORE,
    )


def _profiles(backend: str, given) -> tuple:
    """Profile names are matched case-insensitively (`Domain` is `domain`), for the module
    and the role alike: both come through here."""
    if given is None:
        return DEFAULT_PROFILES[backend]
    allowed = PROFILES[backend]
    if not given:
        raise OptionError("profiles", given, "must name at least one profile")
    unknown = [
        OptionError(
            f"profiles[{index}]",
            profile,
            f"backend={backend} knows the profiles {', '.join(allowed)}",
        )
        for index, profile in enumerate(given)
        if profile.lower() not in allowed
    ]
    if unknown:
        raise OptionErrors(unknown)
    chosen = {profile.lower() for profile in given}
    return tuple(profile for profile in allowed if profile in chosen)


def _rules(given) -> tuple:
    if given is None:
        return DEFAULT_RULES
    if not given:
        raise OptionError("rules", given, "must name at least one rule")
    return rule_names("rules", given)


def _entries(option: str, given, defaults: tuple, parse) -> tuple:
    """Every element parsed; every bad one (and every repeat) named in one error."""
    if given is None:
        return defaults
    entries = check_each(enumerate(given), lambda item: parse(item[1], f"{option}[{item[0]}]"))
    seen: dict = {}
    repeats = []
    for index, (value, entry) in enumerate(zip(given, entries, strict=True)):
        if entry.identity in seen:
            # Windows would combine the two and let Disabled win: refuse the ambiguity.
            repeats.append(
                OptionError(
                    f"{option}[{index}]",
                    value,
                    f"same {_identity_text(entry)} as {option}[{seen[entry.identity]}]",
                )
            )
        seen.setdefault(entry.identity, index)
    if repeats:
        raise OptionErrors(repeats)
    return tuple(entries)


def _identity_text(entry) -> str:
    if entry.identity[0] == "port":
        return f"port and protocol ({entry.port}/{entry.protocol})"
    return f"program path ({entry.path})"
