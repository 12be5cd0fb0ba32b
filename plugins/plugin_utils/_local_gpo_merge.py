# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The new Registry.pol records: the current file's records with ours brought to the mapping.

Internal use only. Pure: (current records, desired policy) -> new records and what changed.

- A group of the mapping (_local_gpo.groups) whose records are already what Group Policy
  would write, wherever they sit in the file, is left untouched: a second run changes
  nothing, so nothing is written.
- Otherwise every record the group owns is removed and the wanted records go where the
  first of them was (appended at the end when the file had none). Every other record stays,
  unchanged and in order.
- `state: absent` wants nothing: it removes only the records the collection owns.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    DesiredPolicy,
    Group,
    groups,
)


@dataclass(frozen=True)
class PolChange:
    """One difference: `action` add, remove or reorder; data in the contract's JSON form."""

    setting: str
    action: str
    key: str
    value: str
    type: str
    data: object

    def to_json(self) -> dict:
        return {
            "setting": self.setting,
            "action": self.action,
            "key": self.key,
            "value": self.value,
            "type": self.type,
            "data": self.data,
        }


@dataclass(frozen=True)
class PolPlan:
    records: tuple
    changes: tuple

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def plan(current, desired: DesiredPolicy) -> PolPlan:
    """`current`: the file's records in order (PolRecord); `desired`: a DesiredPolicy."""
    records = list(current)
    changes: list[PolChange] = []
    for group in groups(desired):
        owned_at = [index for index, record in enumerate(records) if group.owns(record)]
        owned = [records[index] for index in owned_at]
        if _satisfied(group, owned):
            continue
        position = owned_at[0] if owned_at else len(records)
        kept = [record for index, record in enumerate(records) if index not in set(owned_at)]
        records = kept[:position] + list(group.wanted) + kept[position:]
        changes += _differences(group, owned)
    return PolPlan(records=tuple(records), changes=tuple(changes))


def _satisfied(group: Group, owned: list) -> bool:
    if Counter(map(group.identity_of, owned)) != Counter(map(group.identity_of, group.wanted)):
        return False
    return not group.ordered or _clears_before_writing(owned)


def _clears_before_writing(records: list) -> bool:
    """Each `**delvals.` comes before every ordinary value of its key (else it deletes them)."""
    for index, record in enumerate(records):
        if record.special_kind == "delete_all_values":
            key = record.key.casefold()
            if any(
                earlier.key.casefold() == key and earlier.special_kind is None
                for earlier in records[:index]
            ):
                return False
    return True


def _differences(group: Group, owned: list) -> list:
    have = Counter(map(group.identity_of, owned))
    want = Counter(map(group.identity_of, group.wanted))
    changes = []
    for record in owned:
        identity = group.identity_of(record)
        if have[identity] > want[identity]:
            have[identity] -= 1
            changes.append(_change(group.label, "remove", record))
    for record in group.wanted:
        identity = group.identity_of(record)
        if want[identity] > Counter(map(group.identity_of, owned))[identity]:
            want[identity] -= 1
            changes.append(_change(group.label, "add", record))
    if not changes:
        # Same records, wrong order: a `**delvals.` after the values it would delete.
        changes.append(PolChange(group.label, "reorder", owned[0].key, "", "REG_NONE", None))
    return changes


def _change(setting: str, action: str, record: _preg.PolRecord) -> PolChange:
    type_name, data = _preg.decode_data(record)
    return PolChange(setting, action, record.key, record.value, type_name, data)
