# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Desired state of the Windows Firewall policy exception lists (backend `policy`).

Internal use only. SPEC "Windows Firewall policy exceptions": per profile, a list key holds
one REG_SZ per entry and a sibling flag `Enabled` = 1 puts the list in force.

The lists are additive: others' entries may sit beside ours, so an entry is recognised by
its parsed data, never by its value name (scripts name port entries `135:TCP`).

- present: a value whose data is exactly our entry counts as ours, whatever its name, and
  is kept. A value for the same port/protocol or program path with other data (scope,
  Disabled, name) is removed: Windows would combine the two and let Disabled win. Values
  that do not parse are left in place with a warning, unless `exclusive`, which removes
  every entry we do not manage from the lists of the profiles we manage.
- absent: exactly the values whose data is one of our entries are removed. The `Enabled`
  flags stay: other entries, or other tools, may rely on the list being in force.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    MalformedEntry,
    format_entry,
    parse_entry,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    WantValue,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
)

POLICY_ROOT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
PROFILE_KEYS = {"domain": "DomainProfile", "standard": "StandardProfile"}
# kind -> (list parent key, setting label of its entries)
LISTS = {
    "port": ("GloballyOpenPorts", "firewall_ports"),
    "program": ("AuthorizedApplications", "firewall_programs"),
}
ENABLED_SETTING = "firewall_list_enabled"


@dataclass
class PolicyWants:
    wants: list = field(default_factory=list)
    warnings: list = field(default_factory=list)


def list_parent(profile: str, kind: str) -> str:
    return f"{POLICY_ROOT}\\{PROFILE_KEYS[profile]}\\{LISTS[kind][0]}"


def list_key(profile: str, kind: str) -> str:
    return list_parent(profile, kind) + "\\List"


def read_keys(profiles) -> list:
    """The keys to read: each profile's two flags' keys and two lists (8 for both profiles)."""
    keys = []
    for profile in profiles:
        for kind in LISTS:
            keys += [list_parent(profile, kind), list_key(profile, kind)]
    return keys


def policy_wants(options, current: CurrentState) -> PolicyWants:
    """`options` is a FirewallOptions with backend `policy`."""
    result = PolicyWants()
    for profile in options.profiles:
        for kind, entries in (("port", options.ports), ("program", options.programs)):
            if options.state == "absent":
                _absent(profile, kind, entries, current, result)
            elif entries or options.exclusive:
                _present(profile, kind, entries, options.exclusive, current, result)
    return result


def _absent(profile, kind, entries, current, result) -> None:
    path = list_key(profile, kind)
    ours = {format_entry(entry) for entry in entries}
    for value in current.key(path).values:
        if isinstance(value.data, str) and value.data in ours:
            result.wants.append(WantAbsent(LISTS[kind][1], path, value.name))


def _present(profile, kind, entries, exclusive, current, result) -> None:
    path = list_key(profile, kind)
    setting = LISTS[kind][1]
    values = current.key(path).values
    if entries:
        result.wants.append(
            WantValue(ENABLED_SETTING, list_parent(profile, kind), "Enabled", "REG_DWORD", 1)
        )

    ours = {format_entry(entry): entry for entry in entries}
    kept, written = _kept_and_written(ours, values)
    for value in kept:
        result.wants.append(WantValue(setting, path, value.name, "REG_SZ", value.data))
    for text in written:
        result.wants.append(WantValue(setting, path, text, "REG_SZ", text))

    # Every other value: overwritten by one of ours, conflicting, foreign or malformed.
    identities = {entry.identity for entry in entries}
    overwritten = {name_key(text) for text in written}
    for value in values:
        if value in kept or name_key(value.name) in overwritten:
            continue
        try:
            parsed = _parse_value(kind, value)
        except MalformedEntry as err:
            if exclusive:
                result.wants.append(WantAbsent(setting, path, value.name))
            else:
                result.warnings.append(
                    f"{path}\\{value.name}: {value.data!r} is not a valid {kind} entry"
                    f" ({err}); left in place"
                )
            continue
        if parsed.identity in identities or exclusive:
            result.wants.append(WantAbsent(setting, path, value.name))


def _kept_and_written(ours: dict, values) -> tuple:
    """Values already holding one of our entries (kept), and our entries still to write.

    A kept value whose name is one we must write (a value named after entry A holding
    entry B) would be overwritten, so it is not kept; repeat until stable.
    """
    kept = [value for value in values if value.type == "REG_SZ" and value.data in ours]
    while True:
        kept_data = {value.data for value in kept}
        written = [text for text in ours if text not in kept_data]
        clashing = {name_key(text) for text in written}
        still_kept = [value for value in kept if name_key(value.name) not in clashing]
        if len(still_kept) == len(kept):
            return kept, written
        kept = still_kept


def _parse_value(kind: str, value):
    if value.type not in ("REG_SZ", "REG_EXPAND_SZ") or not isinstance(value.data, str):
        raise MalformedEntry(f"type {value.type} is not a string")
    return parse_entry(kind, value.data)
