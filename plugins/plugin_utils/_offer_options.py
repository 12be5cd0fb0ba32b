# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options of win_offer_ra: argument spec and domain validation. Internal use only.

The argument spec (types, choices, defaults) is run by the action base class with
Ansible's ArgumentSpecValidator; `validate_options` then checks what a spec cannot
express and returns a frozen options object plus warnings for the task result.
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._accounts import (
    validate_helpers,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    Collected,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import rule_names
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    ARGUMENT_SPEC as POLICY_STORE_SPEC,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    DEFAULT_STORE,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._offer_policy import (
    OFFER_TABLE,
    PERMISSION_DATA,
    TICKET_UNIT_DATA,
)

# The choices are the registry table's rows and mappings, spelled once in _offer_policy.
STATES = tuple(OFFER_TABLE)
PERMISSIONS = tuple(option for option, _data in PERMISSION_DATA)
HELPERS_MODES = ("exact", "add", "remove")
TICKET_UNITS = tuple(option for option, _data in TICKET_UNIT_DATA)
TICKET_EXPIRY_MIN = 1
TICKET_EXPIRY_MAX = 99

# Solicited defaults are the Group Policy editor's defaults for "Solicited Remote
# Assistance": enabling that policy always writes all four values, so an enabled
# `solicited` with only `state` given still describes one complete policy.
ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": list(STATES), "default": "enabled"},
    "permission": {"type": "str", "choices": list(PERMISSIONS), "default": "view"},
    "helpers": {"type": "list", "elements": "str", "default": []},
    "helpers_mode": {"type": "str", "choices": list(HELPERS_MODES), "default": "exact"},
    "validate_helpers": {"type": "bool", "default": False},
    "dcom": {"type": "bool", "default": True},
    "require_firewall_rules": {"type": "list", "elements": "str", "default": []},
    "solicited": {
        "type": "dict",
        "default": None,
        "options": {
            "state": {"type": "str", "choices": list(STATES), "default": "enabled"},
            "permission": {"type": "str", "choices": list(PERMISSIONS), "default": "view"},
            "max_ticket_expiry": {"type": "int", "default": 1},
            "max_ticket_expiry_unit": {
                "type": "str",
                "choices": list(TICKET_UNITS),
                "default": "hours",
            },
        },
    },
    **POLICY_STORE_SPEC,
}


@dataclass(frozen=True)
class SolicitedOptions:
    state: str = "enabled"
    permission: str = "view"
    max_ticket_expiry: int = 1
    max_ticket_expiry_unit: str = "hours"


@dataclass(frozen=True)
class OfferOptions:
    state: str = "enabled"
    permission: str = "view"
    helpers: tuple[str, ...] = ()
    helpers_mode: str = "exact"
    validate_helpers: bool = False
    dcom: bool = True
    solicited: SolicitedOptions | None = None
    require_firewall_rules: tuple[str, ...] = ()
    policy_store: str = DEFAULT_STORE


def validate_options(params: dict) -> tuple[OfferOptions, list[str]]:
    """Check what the argument spec cannot; return (options, warnings).

    `params` are the spec-validated parameters. Raises OptionError naming the option
    and the value; nothing has reached the host at that point.
    """
    collected = Collected()
    helpers = collected.check(validate_helpers, params.get("helpers") or [], fallback=())
    solicited = collected.check(_solicited, params.get("solicited"))
    rules = collected.check(
        rule_names, "require_firewall_rules", params.get("require_firewall_rules") or []
    )
    choices = {
        name: collected.check(_choice, params, name, allowed, default)
        for name, allowed, default in (
            ("state", STATES, "enabled"),
            ("permission", PERMISSIONS, "view"),
            ("helpers_mode", HELPERS_MODES, "exact"),
        )
    }
    collected.raise_any()
    options = OfferOptions(
        helpers=helpers,
        validate_helpers=bool(params.get("validate_helpers", False)),
        dcom=bool(params.get("dcom", True)),
        solicited=solicited,
        require_firewall_rules=rules,
        policy_store=params.get("policy_store") or DEFAULT_STORE,
        **choices,
    )
    return options, _warnings(options)


def _solicited(raw: dict | None) -> SolicitedOptions | None:
    if raw is None:
        return None
    expiry = raw.get("max_ticket_expiry", 1)
    if (
        isinstance(expiry, bool)
        or not isinstance(expiry, int)
        or not TICKET_EXPIRY_MIN <= expiry <= TICKET_EXPIRY_MAX
    ):
        raise OptionError(
            "solicited.max_ticket_expiry",
            expiry,
            f"must be an integer from {TICKET_EXPIRY_MIN} to {TICKET_EXPIRY_MAX}",
        )
    return SolicitedOptions(
        state=_choice(raw, "state", STATES, "enabled", prefix="solicited."),
        permission=_choice(raw, "permission", PERMISSIONS, "view", prefix="solicited."),
        max_ticket_expiry=expiry,
        max_ticket_expiry_unit=_choice(
            raw, "max_ticket_expiry_unit", TICKET_UNITS, "hours", prefix="solicited."
        ),
    )


def _choice(params: dict, name: str, choices: tuple, default: str, prefix: str = "") -> str:
    """The spec already enforces choices; checking again keeps the pure API safe on its own."""
    value = params.get(name)
    if value is None:
        return default
    if value not in choices:
        raise OptionError(prefix + name, value, f"must be one of {', '.join(choices)}")
    return value


def _warnings(options: OfferOptions) -> list[str]:
    warnings = []
    if options.state == "enabled" and options.helpers_mode == "exact" and not options.helpers:
        warnings.append(
            "state=enabled with an empty helper list in helpers_mode=exact: every helper "
            "on the host is removed and nobody can offer Remote Assistance"
        )
    if options.state != "enabled" and options.helpers:
        warnings.append(
            f"helpers are ignored with state={options.state}: the policy removes every "
            "helper from the list"
        )
    return warnings
