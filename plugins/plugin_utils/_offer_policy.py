# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Offer RA, solicited RA and DCOM registry table (SPEC.md), and the wants it implies.

Internal use only. `desired(options, current)` turns win_offer_ra's options and the host's
state into WantValue / WantAbsent items for the plan. Only values named here are ever
wanted: the Terminal Services key also holds Remote Desktop policy, which is left alone.

Helper identity is case-insensitive (SPEC "Comparison rules"). A RAUnsolicit value whose
name and REG_SZ data both equal a desired helper case-insensitively already grants that
helper, so it is wanted exactly as stored: re-casing it would rewrite the value on every
run for no effect on the host (a task that says `contoso\\bob` and a host that holds
`CONTOSO\\Bob` are compliant).
"""

from __future__ import annotations

from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._accounts import (
    helper_key,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import (
    check_usable_rule,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    WantValue,
)

POLICY_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
HELPERS_KEY = POLICY_KEY + "\\RAUnsolicit"
OLE_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
DCOM_VALUE = "EnableDCOM"
DCOM_ON = "Y"
HELPER_TYPE = "REG_SZ"


@dataclass(frozen=True)
class FromOption:
    """Table data taken from an option: `option` is an attribute of the options object,
    `mapping` turns its value into registry data (identity when empty)."""

    option: str
    mapping: tuple = ()

    def resolve(self, options: object) -> object:
        value = getattr(options, self.option)
        return dict(self.mapping)[value] if self.mapping else value


ABSENT = None
PERMISSION_DATA = (("view", 0), ("control", 1))
TICKET_UNIT_DATA = (("minutes", 0), ("hours", 1), ("days", 2))

# value name -> (setting label, registry type); all in POLICY_KEY.
POLICY_VALUES = {
    "fAllowUnsolicited": ("offer_policy", "REG_DWORD"),
    "fAllowUnsolicitedFullControl": ("permission", "REG_DWORD"),
    "fAllowToGetHelp": ("solicited", "REG_DWORD"),
    "fAllowFullControl": ("solicited", "REG_DWORD"),
    "MaxTicketExpiry": ("solicited", "REG_DWORD"),
    "MaxTicketExpiryUnits": ("solicited", "REG_DWORD"),
}

# SPEC's Offer Remote Assistance table: state -> value name -> data (ABSENT = deleted).
# The RAUnsolicit helper list is the third column; see `_helper_wants`.
OFFER_TABLE = {
    "enabled": {
        "fAllowUnsolicited": 1,
        "fAllowUnsolicitedFullControl": FromOption("permission", PERMISSION_DATA),
    },
    "disabled": {"fAllowUnsolicited": 0, "fAllowUnsolicitedFullControl": ABSENT},
    "absent": {"fAllowUnsolicited": ABSENT, "fAllowUnsolicitedFullControl": ABSENT},
}

# Solicited Remote Assistance, same key: `solicited.state` -> value name -> data.
SOLICITED_TABLE = {
    "enabled": {
        "fAllowToGetHelp": 1,
        "fAllowFullControl": FromOption("permission", PERMISSION_DATA),
        "MaxTicketExpiry": FromOption("max_ticket_expiry"),
        "MaxTicketExpiryUnits": FromOption("max_ticket_expiry_unit", TICKET_UNIT_DATA),
    },
    "disabled": {
        "fAllowToGetHelp": 0,
        "fAllowFullControl": ABSENT,
        "MaxTicketExpiry": ABSENT,
        "MaxTicketExpiryUnits": ABSENT,
    },
    "absent": {
        "fAllowToGetHelp": ABSENT,
        "fAllowFullControl": ABSENT,
        "MaxTicketExpiry": ABSENT,
        "MaxTicketExpiryUnits": ABSENT,
    },
}


def keys_to_read(options: object) -> list[str]:
    """The keys `read` must return. Ole only when DCOM is managed: an unreadable key
    the task does not manage must not fail it."""
    keys = [POLICY_KEY, HELPERS_KEY]
    if options.dcom:
        keys.append(OLE_KEY)
    return keys


def accounts_to_resolve(options: object) -> list[str]:
    """Helpers to resolve to SIDs. Only helpers being granted are checked: removing a
    stale helper whose account no longer exists must stay possible."""
    if options.validate_helpers and _grants_helpers(options):
        return list(options.helpers)
    return []


def desired(options: object, current: CurrentState) -> list:
    """Every want of the task; raises HostStateError when the host cannot take it."""
    _check_edition(options, current.facts)
    _check_accounts(options, current)
    # A preflight for the firewall task that follows (rules backend): a host that lacks the
    # rules fails here, before the policy is written, not after.
    for name in options.require_firewall_rules:
        check_usable_rule(name, current.rule(name))
    wants = _table_wants(OFFER_TABLE[options.state], options)
    wants += _helper_wants(options, current)
    if options.dcom:
        # `dcom: false` means "leave EnableDCOM alone": the module never writes `N`.
        wants.append(WantValue("dcom", OLE_KEY, DCOM_VALUE, "REG_SZ", DCOM_ON))
    if options.solicited is not None:
        wants += _table_wants(SOLICITED_TABLE[options.solicited.state], options.solicited)
    return wants


def resulting_helpers(options: object, current: CurrentState) -> list[str]:
    """The helper list the host holds once the task has converged it, in the order the
    host reports values (by name, case-insensitively)."""
    values = {helper_key(value.name): value for value in _stored_helpers(current)}
    for want in _helper_wants(options, current):
        key = helper_key(want.name)
        if isinstance(want, WantAbsent):
            values.pop(key, None)
        else:
            values[key] = want
    ordered = sorted(values.values(), key=lambda value: helper_key(value.name))
    return [value.data if isinstance(value.data, str) else value.name for value in ordered]


def is_home_edition(edition: str) -> bool:
    """Home editions report EditionID `Core*` (Core, CoreN, CoreSingleLanguage, ...)."""
    return edition.startswith("Core") or "home" in edition.casefold()


def _grants_helpers(options: object) -> bool:
    return options.state == "enabled" and options.helpers_mode != "remove"


def _check_edition(options: object, facts: dict) -> None:
    edition = str(facts.get("edition") or "")
    if options.state == "enabled" and is_home_edition(edition):
        raise HostStateError(
            f"Failed to enable Offer Remote Assistance: edition '{edition}' is a Home "
            "edition, which has no Offer Remote Assistance policy"
        )


def _check_accounts(options: object, current: CurrentState) -> None:
    if not (options.validate_helpers and _grants_helpers(options)):
        return
    # A helper the read did not report counts as unresolved: never write what was not checked.
    unresolved = [helper for helper in options.helpers if not current.sid(helper)]
    if unresolved:
        names = ", ".join(f"'{helper}'" for helper in unresolved)
        raise HostStateError(
            f"Failed to validate helpers {names}: the host cannot resolve them to a SID "
            "(check the spelling, the domain and the trust)"
        )


def _table_wants(row: dict, options: object) -> list:
    wants = []
    for name, data in row.items():
        setting, reg_type = POLICY_VALUES[name]
        if data is ABSENT:
            wants.append(WantAbsent(setting, POLICY_KEY, name))
        else:
            value = data.resolve(options) if isinstance(data, FromOption) else data
            wants.append(WantValue(setting, POLICY_KEY, name, reg_type, value))
    return wants


def _stored_helpers(current: CurrentState) -> tuple:
    snapshot = current.key(HELPERS_KEY)
    return snapshot.values if snapshot.exists else ()


def _grants(value: object, helper: str) -> bool:
    """True when a stored value is the helper's Group Policy entry (name = data)."""
    key = helper_key(helper)
    return (
        value.type == HELPER_TYPE
        and helper_key(value.name) == key
        and isinstance(value.data, str)
        and helper_key(value.data) == key
    )


def _names(value: object) -> set[str]:
    """The helpers a stored value can refer to: its name and, for strings, its data
    (scripts sometimes write numbered names with the account as data)."""
    names = {helper_key(value.name)}
    if isinstance(value.data, str):
        names.add(helper_key(value.data))
    return names


def _helper_wants(options: object, current: CurrentState) -> list:
    stored = _stored_helpers(current)
    if options.state != "enabled":
        # Disabled and Not configured both delete the whole list (SPEC table).
        return [WantAbsent("helpers", HELPERS_KEY, value.name) for value in stored]
    listed = {helper_key(helper) for helper in options.helpers}
    if options.helpers_mode == "remove":
        return _removal_wants(options.helpers, stored, listed)
    wants = []
    by_name = {helper_key(value.name): value for value in stored}
    for helper in options.helpers:
        value = by_name.get(helper_key(helper))
        if value is not None and _grants(value, helper):
            wants.append(WantValue("helpers", HELPERS_KEY, value.name, HELPER_TYPE, value.data))
        else:
            wants.append(WantValue("helpers", HELPERS_KEY, helper, HELPER_TYPE, helper))
    if options.helpers_mode == "exact":
        # Group Policy's list is exclusive: whatever is not listed goes.
        wants += [
            WantAbsent("helpers", HELPERS_KEY, value.name)
            for value in stored
            if helper_key(value.name) not in listed
        ]
    return wants


def _removal_wants(helpers: tuple, stored: tuple, listed: set) -> list:
    """Remove every stored value that refers to a listed helper by name or data, and
    want each listed name absent so the diff shows it."""
    wants = {}
    for value in stored:
        if _names(value) & listed:
            wants[helper_key(value.name)] = WantAbsent("helpers", HELPERS_KEY, value.name)
    for helper in helpers:
        wants.setdefault(helper_key(helper), WantAbsent("helpers", HELPERS_KEY, helper))
    return list(wants.values())
