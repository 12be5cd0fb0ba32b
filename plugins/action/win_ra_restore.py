# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_ra_restore: put a host back to its snapshot (plugin_utils._restore decides)."""

from __future__ import annotations

import os

from ansible.plugins.action import ActionBase

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _restore,
    _snapshot,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    CONTRACT_VERSION,
    EngineAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    decode_read,
    read_document,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    make_plan,
)


class ActionModule(EngineAction):
    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = ActionBase.run(self, tmp, task_vars)
        result.update(
            changed=False, engine_runs=0, drift=[], changed_since_rollout=[], snapshot=None
        )
        try:
            directory, force = _restore.check_options(dict(self._task.args))
        except OptionError as err:
            return dict(result, failed=True, msg=str(err))
        host = self._host(task_vars)
        directory = os.path.expanduser(directory)
        if not os.path.isdir(directory):
            message = f"The snapshot directory '{directory}' does not exist; nothing was written"
            return dict(result, failed=True, msg=message)
        if not os.path.exists(_snapshot.file_for(directory, host)):
            # The rollout wrote nothing to this host, so it took no snapshot: nothing to undo.
            warning = f"No snapshot for host '{host}' in '{directory}': nothing to restore"
            return dict(result, warnings=[warning])
        try:
            snapshot = _snapshot.load(directory, host)
        except _snapshot.SnapshotError as err:
            return dict(result, failed=True, msg=f"{err}; nothing was written to the host")
        result["snapshot"] = {
            "path": _snapshot.file_for(directory, host),
            "sha256": snapshot["sha256"],
            "taken_at": snapshot["taken_at"],
        }

        request = read_document(**_restore.read_request(snapshot), policy_sources=False)
        read = self._engine(task_vars, request, result)
        if read.get("failed") or read.get("contract_version") != CONTRACT_VERSION:
            reason = read.get("msg") or f"contract version {read.get('contract_version')!r}"
            return dict(result, failed=True, msg=f"Failed to read the host state: {reason}")
        read = decode_read(read, request)
        current = CurrentState.from_read(read)

        result["changed_since_rollout"] = _restore.differences(snapshot["after"], current, read)
        if result["changed_since_rollout"] and not force:
            first = result["changed_since_rollout"][0]
            return dict(
                result,
                failed=True,
                msg=(
                    f"Left alone: {len(result['changed_since_rollout'])} managed value(s) or "
                    f"rule(s) changed since the rollout (first: '{first['path']}\\{first['name']}'"
                    "); see changed_since_rollout, and set force to restore anyway"
                ),
            )
        try:
            plan = make_plan(_restore.wants(snapshot, current), current)
            files = _restore.file_changes(snapshot, read)
        except HostStateError as err:
            return dict(result, failed=True, msg=str(err))
        changes = plan.changes + files
        file_drift = [
            item
            for item in _restore.differences(snapshot["before"], current, read)
            if item["name"] == "" and any(c["path"] == item["path"] for c in files)
        ]
        drift = plan.drift + [dict(item, setting=_restore.SETTING) for item in file_drift]
        result.update(drift=drift, changed=bool(changes))
        if self._task.diff:
            result["diff"] = plan.diff
        if not changes or self._task.check_mode:
            return result
        applied = self._engine(task_vars, {"action": "apply", "changes": changes}, result)
        if applied.get("failed"):
            result["changed"] = applied.get("error") == "rollback_failed"
            for key in ("error", "conflicts", "rolled_back"):
                if key in applied:
                    result[key] = applied[key]
            return dict(
                result,
                failed=True,
                msg=f"Failed to apply {len(changes)} change(s): {applied.get('msg')}",
            )
        return result
