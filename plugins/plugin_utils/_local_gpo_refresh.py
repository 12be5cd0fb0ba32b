# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a Group Policy refresh makes of Registry.pol records, and how the live values compare.

Internal use only. Pure. The registry extension reads the records in order: a value record
sets the value, `**del.<name>` deletes it, `**delvals.` deletes every value the key holds
at that point (so values after it form the whole list), `**DeleteValues` deletes the listed
values, `**DeleteKeys` the listed subkeys, `**soft.<name>` sets the value only when it is
absent, `**SecureKey` changes permissions only. A value no record mentions is left alone.

The audit compares this with the live values: a difference means either a refresh has not
run since the file changed ("pending refresh") or someone changed the live value ("changed
outside policy"); telling the two apart needs the time of the last refresh, which is the
audit's to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg

_HIVE_PREFIXES = ("hkey_local_machine\\", "hklm:\\", "hklm\\")


@dataclass
class KeyEffect:
    """`values`: name (case folded) -> (name, {type, data}) set, or (name, None) deleted.
    `exclusive`: live values of the key that no later record sets are deleted.
    `soft`: name (case folded) -> (name, {type, data}) written only when absent."""

    exclusive: bool = False
    values: dict = field(default_factory=dict)
    soft: dict = field(default_factory=dict)


def relative_key(path: str) -> str:
    """`HKLM:\\Software\\X` (any spelling of the hive) or `Software\\X` -> `Software\\X`."""
    lowered = path.lower()
    for prefix in _HIVE_PREFIXES:
        if lowered.startswith(prefix):
            return path[len(prefix) :].strip("\\")
    return path.strip("\\")


def refresh_effect(records) -> dict:
    """key (case folded, relative to HKLM) -> KeyEffect, for every key the records touch."""
    effects: dict[str, KeyEffect] = {}
    for record in records:
        key = relative_key(record.key).casefold()
        effect = effects.setdefault(key, KeyEffect())
        kind = record.special_kind
        if kind is None:
            if record.value == "" and record.type == _preg.REG_NONE and not record.data:
                continue  # a key-only record: creates the key, sets nothing
            effect.values[record.value.casefold()] = (record.value, _typed(record))
        elif kind == "delete_value":
            effect.values[record.target_name.casefold()] = (record.target_name, None)
        elif kind == "soft":
            effect.soft[record.target_name.casefold()] = (record.target_name, _typed(record))
        elif kind == "delete_all_values":
            effect.exclusive = True
            effect.values = {
                folded: (name, None) for folded, (name, _data) in effect.values.items()
            }
        elif kind == "delete_values":
            for name in _preg.name_list(record):
                effect.values[name.casefold()] = (name, None)
        elif kind == "delete_keys":
            for name in _preg.name_list(record):
                doomed = f"{key}\\{name.casefold()}"
                effects[doomed] = KeyEffect(exclusive=True)
    return effects


def compare_live(records, live: dict) -> list[dict]:
    """One row per value the policy decides in the keys of `live`, with the live value.

    `live`: {key path: {value name: {type, data}}} as read from the host (a missing key:
    absent or an empty dict). Row: {key, name, policy, live, agrees}; `policy` None means a
    refresh deletes the value, `live` None that the host does not have it.
    """
    effects = refresh_effect(records)
    rows = []
    for path, values in live.items():
        effect = effects.get(relative_key(path).casefold())
        if effect is None:
            continue
        by_name = {name.casefold(): (name, value) for name, value in (values or {}).items()}
        decided = set(effect.values)
        if effect.exclusive:
            decided |= set(by_name)
        for folded in sorted(decided):
            wanted = effect.values.get(folded)
            have = by_name.get(folded)
            name = have[0] if have else wanted[0]
            policy_value = wanted[1] if wanted else None
            live_value = _json(have[1]) if have else None
            rows.append(_row(path, name, policy_value, live_value))
        for folded, (name, value) in sorted(effect.soft.items()):
            if folded in decided:
                continue
            have = by_name.get(folded)
            # A soft value is satisfied by any live value: the extension never overwrites it.
            rows.append(_row(path, name, value, _json(have[1]) if have else None, soft=True))
    return rows


def _row(path, name, policy_value, live_value, soft: bool = False) -> dict:
    agrees = live_value is not None if soft else policy_value == live_value
    return {"key": path, "name": name, "policy": policy_value, "live": live_value, "agrees": agrees}


def _typed(record: _preg.PolRecord) -> dict:
    type_name, data = _preg.decode_data(record)
    return {"type": type_name, "data": data}


def _json(value: dict) -> dict:
    return {"type": value["type"], "data": value["data"]}
