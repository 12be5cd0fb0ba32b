# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_ra_restore: put a host back to its snapshot (plugin_utils._restore decides).

The engine's read and apply are EngineAction's, as for every module; what differs is where
the desired state comes from: the host's snapshot on the controller, not options."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _restore
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
    EngineFailure,
    engine_failure_keys,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    read_document,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import CurrentState
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._restore_files import (
    SnapshotFiles,
)


class ActionModule(EngineAction):
    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = ActionBase.run(self, tmp, task_vars)
        result.update(
            changed=False, engine_runs=0, drift=[], changed_since_rollout=[], snapshot=None
        )
        host = self._host(task_vars)
        try:
            directory, force = _restore.check_options(dict(self._task.args))
            snapshot, found = _restore.find_snapshot(directory, host)
        except (OptionError, _restore.RestoreError) as err:
            return dict(result, failed=True, msg=str(err))
        if snapshot is None:
            # The rollout wrote nothing to this host, so it took no snapshot: nothing to undo.
            return dict(result, warnings=[found])
        result["snapshot"] = found

        request = read_document(**_restore.read_request(snapshot), policy_sources=False)
        try:
            read = self._read(task_vars, request, result)
            current = CurrentState.from_read(read)
            files = SnapshotFiles(snapshot, read, host)
            changed = files.changed_since_rollout()
            changed += _restore.differences(snapshot["after"], current)
            result["changed_since_rollout"] = changed
            if changed and not force:
                raise HostStateError(_restore.left_alone(changed))
            plan = _restore.plan(snapshot, current)
            file_changes, file_drift = files.changes()
        except EngineFailure as failure:
            return dict(result, failed=True, msg=str(failure))
        except HostStateError as err:
            return dict(result, failed=True, msg=str(err))

        # Files first, as in a rollout: a policy file ahead of the live values is applied by
        # the next refresh, live values ahead of the file would be taken back by it.
        changes = file_changes + plan.changes
        drift = [dict(item, setting=_restore.SETTING) for item in file_drift] + plan.drift
        result.update(drift=drift, changed=bool(changes))
        if self._task.diff:
            result["diff"] = plan.diff
        if not changes or self._task.check_mode:
            return result
        try:
            self._apply(task_vars, changes, result)
        except EngineFailure as failure:
            result.update(engine_failure_keys(failure.engine_result))
            return dict(result, failed=True, msg=str(failure), changed=failure.host_changed)
        return result
