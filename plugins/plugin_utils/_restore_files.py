# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A restore of the Local Group Policy files (`policy_store: local_gpo`): undo the rollout's
records in Registry.pol, raise gpt.ini's version.

Internal use only. Pure. The snapshot holds Registry.pol as it was before the rollout
(`before`) and as the rollout left it (`after`). A restore does not put old bytes back:

- Registry.pol: the records the rollout added are removed and the records it removed come
  back, in the file the host holds now; every other record (someone else's policy, set
  since the rollout) stays as it is. When the file is still exactly what the rollout left,
  that is `before` record for record. A Registry.pol the rollout created ends as an empty
  policy file (its 8-byte header): to Group Policy an empty file and no file are the same.
- gpt.ini: its machine version goes up, as after any change of the machine policy. Old bytes
  would lower it, and a Group Policy client does not reprocess a GPO whose version did not
  change (docs/guides/restore.md); a gpt.ini the rollout created stays for the same reason.

"Changed since the rollout" is judged on the records the rollout touched: one of them added
or removed by someone else since then stops the restore unless `force`. Others' records and
gpt.ini's version (raised by any policy edit) are not the rollout's, so they do not.
"""

from __future__ import annotations

import base64
from collections import Counter

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _gpt_ini, _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    answer_for,
    file_key,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    GPT_INI,
    MACHINE_POL,
    full_identity,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    record_difference,
    replace_change,
)


def _snapshot_file(state: dict, path: str) -> dict | None:
    return next(
        (item for item in state.get("files") or [] if file_key(item["path"]) == file_key(path)),
        None,
    )


def _bytes(item: dict | None) -> bytes | None:
    if item is None or not item.get("exists"):
        return None
    return base64.b64decode(item.get("data") or "")


def _records(data: bytes | None, source: str, host: str) -> tuple:
    try:
        return _preg.parse(data or b"", source=source).records
    except _preg.PolFileError as err:
        raise HostStateError(f"Host '{host}': {err}; nothing was written") from None


def _touched(before: tuple, after: tuple) -> tuple[Counter, Counter]:
    """(records the rollout added, records it removed), by identity, with counts."""
    have, had = Counter(map(full_identity, after)), Counter(map(full_identity, before))
    return have - had, had - have


def _record_state(record: _preg.PolRecord) -> dict:
    type_name, data = _preg.decode_data(record)
    return {"type": type_name, "data": data}


def _differences(want: tuple, have: tuple, only: set | None = None) -> list:
    """One item per record (by identity, `only` those in `only` when given) that `want` and
    `have` hold a different number of times, in file order: expected / actual is the
    record's state where that side holds it, null where it does not."""
    wanted, held = Counter(map(full_identity, want)), Counter(map(full_identity, have))
    found, seen = [], set()
    for record in (*have, *want):
        identity = full_identity(record)
        if identity in seen or wanted[identity] == held[identity]:
            continue
        if only is not None and identity not in only:
            continue
        seen.add(identity)
        state = _record_state(record)
        expected, actual = (
            state if count else None for count in (wanted[identity], held[identity])
        )
        found.append(record_difference(record.key, record.value, expected, actual))
    return found


class SnapshotFiles:
    """The snapshot's Registry.pol before and after the rollout, and the host's now."""

    def __init__(self, snapshot: dict, read: dict, host: str) -> None:
        self.host = host
        self.in_snapshot = _snapshot_file(snapshot["before"], MACHINE_POL) is not None
        before = _bytes(_snapshot_file(snapshot["before"], MACHINE_POL))
        after = _bytes(_snapshot_file(snapshot["after"], MACHINE_POL))
        self.pol_file = answer_for(read.get("files"), MACHINE_POL) if self.in_snapshot else None
        self.ini_file = answer_for(read.get("files"), GPT_INI) if self.in_snapshot else None
        if self.in_snapshot and (self.pol_file is None or self.ini_file is None):
            raise HostStateError(
                f"Host '{host}': the engine did not return the Local Group Policy files"
            )
        self.now_bytes = _bytes(self.pol_file)
        self.before = _records(before, "the snapshot's Registry.pol (before)", host)
        self.after = _records(after, "the snapshot's Registry.pol (after)", host)
        self.now = _records(self.now_bytes, MACHINE_POL, host) if self.in_snapshot else ()

    def changed_since_rollout(self) -> list:
        """One item per record the rollout touched that the host no longer holds as the
        rollout left it: {path, name, expected, actual} (record states {type, data})."""
        if not self.in_snapshot:
            return []
        added, removed = _touched(self.before, self.after)
        return _differences(self.after, self.now, only=set(added) | set(removed))

    def restored_records(self) -> tuple:
        """The host's records with the rollout undone (`before` itself when the host still
        holds exactly what the rollout left)."""
        if list(self.now) == list(self.after):
            return self.before
        added, removed = _touched(self.before, self.after)
        kept, position = [], None
        for record in self.now:
            identity = full_identity(record)
            if added[identity] > 0:
                added[identity] -= 1
                position = len(kept) if position is None else position
                continue
            kept.append(record)
        back = []
        for record in self.before:
            if removed[full_identity(record)] > 0:
                removed[full_identity(record)] -= 1
                back.append(record)
        at = len(kept) if position is None else position
        return tuple(kept[:at] + back + kept[at:])

    def changes(self) -> tuple[list, list]:
        """(replace_file changes: Registry.pol then gpt.ini; drift items), or ([], [])."""
        if not self.in_snapshot:
            return [], []
        records = self.restored_records()
        if self.now_bytes is None and not records:
            return [], []
        empty = self.now_bytes == b"" and not records
        new_pol = _preg.write(records, empty=empty)
        if new_pol == self.now_bytes:
            return [], []
        ini_bytes = _bytes(self.ini_file)
        try:
            new_ini = _gpt_ini.updated(ini_bytes)
        except _gpt_ini.GptIniError as err:
            raise HostStateError(
                f"Host '{self.host}': Failed to read '{self.ini_file['path']}': {err}; "
                "nothing was written"
            ) from None
        changes = [replace_change(self.pol_file, new_pol), replace_change(self.ini_file, new_ini)]
        return changes, _differences(records, self.now)
