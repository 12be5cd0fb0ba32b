# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The loop every module of this collection runs: check, read, plan, apply, report.

Internal use only. A module is one or more declared parts (EnginePart: argument spec,
validator, read request, desired state, result renderer); an action plugin only names them.
A domain module (win_offer_ra, win_ra_firewall) is one part whose result is the task's
result; the composite (win_remote_assistance) runs several parts under suboptions in the
same loop: one `read` with the union of what they need, one plan, one compare-and-swap
`apply`, so the whole standard lands or nothing does.

Round trips are the cost that matters over WinRM: one engine run for a compliant host or
in check mode, two for a host that drifts. Bad input fails here, every problem named at
once, before any connection is made.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ansible.plugins.action import ActionBase

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _local_gpo_part as local_gpo,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    CONTRACT_VERSION,
    decode_read,
    file_key,
    module_args,
    read_document,
    typed_change,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
    OptionError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
    conflict_warning,
    conflicts,
    unknown_sources_warning,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo_hold import (
    hold_gpo_values,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._part_input import (
    check_part,
    render,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    RULE_PATH,
    CurrentState,
    Plan,
    WantRule,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
    path_key,
)

ENGINE = "winra.remote_assistance.win_ra_state"


def _no_extra_keys(options, current) -> dict:
    return {}


def _no_policy_records(options, current) -> list:
    return []


class EngineFailure(Exception):
    """The engine could not read, or did not apply: the message for the task, the engine's
    result (its error keys go into the task's), and whether the host was left changed (a
    rollback that failed)."""

    def __init__(self, message: str, engine_result: dict | None = None, host_changed=False):
        super().__init__(message)
        self.engine_result = engine_result or {}
        self.host_changed = host_changed


def engine_failure_keys(engine_result: dict | None) -> dict:
    """The engine's error details a failed task passes on."""
    keys = ("error", "conflicts", "rolled_back", "retryable")
    return {key: engine_result[key] for key in keys if engine_result and key in engine_result}


@dataclass(frozen=True)
class EnginePart:
    """What one domain module declares; the loop does the rest.

    validate(params) -> (options, warnings): domain checks after the argument spec; raises
        OptionError (or OptionErrors naming every bad item).
    read_request(options) -> {keys, accounts, firewall_rules}: what `read` must return.
    desired(options, current) -> (wants, warnings): raises HostStateError when the host
        cannot comply (checked before any write).
    render(options, current) -> dict: the extra result keys (`result_keys`), null on failure.
    functional(options, read) -> list of str: why the feature cannot work on the host although
        its settings may be right (`functional_problems`); None: not checked.
    policy_records(options, current) -> list: what the part wants in the Local Group Policy
        file (_local_gpo_part); empty with `policy_store: registry`.
    """

    argument_spec: dict
    validate: Callable
    read_request: Callable
    desired: Callable
    render: Callable = _no_extra_keys
    result_keys: tuple = ()
    functional: Callable | None = None
    policy_records: Callable = _no_policy_records


@dataclass
class PartRun:
    """One part in one task: its options once checked, its wants and result once planned."""

    name: str | None
    part: EnginePart
    options: object = None
    wants: tuple = ()
    result: dict | None = None
    warnings: list = field(default_factory=list)

    def empty_result(self) -> dict:
        result = {"changed": False, "drift": [], "gpo_conflicts": []}
        result.update(dict.fromkeys(self.part.result_keys))
        if self.part.functional is not None:
            result["functional_problems"] = []
        return result


def merged_read_request(requests: list) -> dict:
    """The union of the parts' read requests, first-seen order, repeats dropped (by the
    registry's name rule), so that one `read` serves every part."""
    merged = {"keys": [], "accounts": [], "firewall_rules": [], "files": [], "exists": []}
    for kind, identity in (
        ("keys", path_key),
        ("accounts", name_key),
        ("firewall_rules", name_key),
        ("files", file_key),
        ("exists", file_key),
    ):
        seen = set()
        for request in requests:
            for item in request.get(kind) or []:
                if identity(item) not in seen:
                    seen.add(identity(item))
                    merged[kind].append(item)
    for optional in ("files", "exists"):
        if not merged[optional]:
            del merged[optional]  # nothing to ask: the request stays as an older engine takes it
    return merged


def combined_plan(plans: list) -> Plan:
    """The parts' plans as one, for the one apply. Parts manage disjoint values and rules;
    two parts changing the same one would make the apply's order decide, so refuse it."""
    if len(plans) == 1:
        return plans[0]
    seen = set()
    for change in (change for plan in plans for change in plan.changes):
        place = path_key(change["path"]) if "path" in change else RULE_PATH
        identity = (place, name_key(change["name"]))
        if identity in seen:
            raise ValueError(f"two parts change {identity}")
        seen.add(identity)
    return Plan(
        [c for plan in plans for c in plan.changes],
        [d for plan in plans for d in plan.drift],
        [line for plan in plans for line in plan.before],
        [line for plan in plans for line in plan.after],
    )


class EngineAction(ActionBase):
    """Base of every action plugin of this collection. A domain module sets PART."""

    PART: EnginePart | None = None
    TRANSFERS_FILES = False
    _requires_connection = True
    # The Group Policy service holds Registry.pol open while a refresh applies it, which takes
    # moments. A run that found a file locked changed nothing (the engine never wrote, or
    # rolled back every write of that run), so the same request, with the same expectations,
    # is sent again after each pause; a third lock fails the task (`retryable: true`).
    FILE_LOCK_PAUSES: tuple = (1.0, 3.0)

    # -- what a composite overrides ----------------------------------------------------------
    def select_parts(self, args: dict) -> tuple[list, dict, dict]:
        """The parts this task runs, their raw arguments by part name, the error labels."""
        return [PartRun(None, self.PART)], {None: args}, {}

    def top_level_errors(self, args: dict) -> list:
        """Problems with options outside the parts, as OptionErrors; none for a single part."""
        return []

    def cross_check(self, runs: list) -> list:
        """Rules between parts, as OptionErrors; none for a single part."""
        return []

    def shape_result(self, result: dict, runs: list) -> dict:
        """The task result from the parts' results (a single part: its result)."""
        result.update(runs[0].result)
        return result

    # -- the loop -----------------------------------------------------------------------------
    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(engine_runs=0, snapshot=None)

        args, snapshot_options, errors = _snapshot.split_options(dict(self._task.args))
        runs, raws, labels = self.select_parts(args)
        for run in runs:
            run.result = run.empty_result()
        errors += self.top_level_errors(args)
        for run in runs:
            prefix = f"{run.name}." if run.name else ""
            try:
                run.options, run.warnings = check_part(run.part, raws[run.name], prefix)
            except OptionError as err:
                errors += err.errors
        if not errors:
            errors += self.cross_check(runs)
        if errors:
            return self._failed(result, runs, render(errors, labels))

        # policy_sources in the same read: knowing which values a GPO fights over costs no
        # extra round trip. A read of no registry keys (rules backend) has nothing a GPO
        # could set here, so it spares the host the Resultant Set of Policy query.
        asked = merged_read_request([run.part.read_request(run.options) for run in runs])
        request = read_document(**asked, policy_sources=bool(asked["keys"]))
        try:
            read = self._read(task_vars, request, result)
        except EngineFailure as failure:
            return self._failed(result, runs, str(failure), failure.engine_result)
        current = CurrentState.from_read(read)
        plans = []
        try:
            for run in runs:
                wants, warnings = run.part.desired(run.options, current)
                run.wants = tuple(wants)
                run.warnings += warnings
                # A GPO that sets a value differently wins at its next refresh: writing it
                # would only flap. Hold those writes back and report them, in check mode too.
                run.result["gpo_conflicts"] = conflicts(run.wants, read.get("policy_sources"))
                run.warnings += [conflict_warning(c) for c in run.result["gpo_conflicts"]]
                plans.append(
                    hold_gpo_values(make_plan(run.wants, current), run.result["gpo_conflicts"])
                )
                run.result.update(run.part.render(run.options, current))
                if run.part.functional is not None:
                    run.result["functional_problems"] = run.part.functional(run.options, read)
            whole = combined_plan(plans)
            files = local_gpo.plan_files(
                {run.name: run.part.policy_records(run.options, current) for run in runs},
                read,
                local_gpo.live_values(current),
                self._host(task_vars),
            )
            whole = local_gpo.join_file_plan(whole, files, runs)
        except HostStateError as err:
            return self._failed(result, runs, str(err))

        for run, plan in zip(runs, plans, strict=True):
            run.result["drift"] = plan.drift + local_gpo.file_drift(files, run.name)
            run.result["changed"] = bool(plan.changes) or local_gpo.part_changed(files, run)
            if self._task.diff:
                run.result["diff"] = plan.diff
        # Unknown rather than "no conflict": RSoP logging off hides what a GPO sets.
        if unknown := unknown_sources_warning(read.get("policy_sources")):
            runs[0].warnings.append(unknown)
        result["changed"] = bool(whole.changes)
        if self._task.diff:
            result["diff"] = whole.diff
        if not whole.changes or self._task.check_mode:
            return self._finish(result, runs)

        # The prior state is kept on the controller before the first write, from this read.
        if snapshot_options.directory is not None:
            try:
                result["snapshot"] = self._save_snapshot(
                    task_vars, snapshot_options, read, runs, whole
                )
            except _snapshot.SnapshotError as err:
                for run in runs:
                    run.result["changed"] = False
                result["changed"] = False
                return self._failed(
                    result, runs, f"{err}; nothing was written to the host", keep_drift=True
                )

        try:
            self._apply(task_vars, whole.changes, result)
        except EngineFailure as failure:
            # A refused or rolled-back apply leaves the host as it was read.
            for run in runs:
                run.result["changed"] = failure.host_changed and run.result["changed"]
            result["changed"] = failure.host_changed
            return self._failed(result, runs, str(failure), failure.engine_result, keep_drift=True)
        return self._finish(result, runs)

    # -- helpers ------------------------------------------------------------------------------
    def _host(self, task_vars) -> str:
        """The name errors and snapshots give the host: its inventory name."""
        return str((task_vars or {}).get("inventory_hostname") or self._play_context.remote_addr)

    def _save_snapshot(self, task_vars, options, read: dict, runs: list, whole: Plan) -> dict:
        host = self._host(task_vars)
        managed_rules = [
            want.name for run in runs for want in run.wants if isinstance(want, WantRule)
        ]
        # Files are the task's when it replaces them (the Local Group Policy store); a file
        # read only to check it (msra.exe) is not.
        managed_files = [c["path"] for c in whole.changes if c["op"] == "replace_file"]
        before = _snapshot.state_from_read(read, rules=managed_rules, files=managed_files)
        # The snapshot speaks the collection's typed model, as the read it starts from does;
        # the plan's changes are in the engine's wire form (hex data, NetSecurity profiles).
        typed = [c if c["op"] == "replace_file" else typed_change(c) for c in whole.changes]
        doc = _snapshot.document(host, before, _snapshot.after_changes(before, typed))
        return _snapshot.save(options.directory, doc, options.overwrite)

    def _read(self, task_vars, request: dict, result: dict) -> dict:
        """The host's state as the engine read it, decoded; EngineFailure if it could not."""
        read = self._engine(task_vars, request, result)
        if read.get("failed"):
            message = f"Failed to read the host state: {read.get('msg')}"
            raise EngineFailure(message + local_gpo.read_failure_hint(request, read), read)
        if read.get("contract_version") != CONTRACT_VERSION:
            raise EngineFailure(
                f"Failed to read the host state: the engine speaks contract version "
                f"{read.get('contract_version')!r}, this collection needs {CONTRACT_VERSION}"
            )
        return decode_read(read, request)

    def _apply(self, task_vars, changes: list, result: dict) -> None:
        """One compare-and-swap apply of `changes`; EngineFailure if the engine refused it,
        rolled it back, or could not roll it back (host_changed)."""
        applied = self._engine(task_vars, {"action": "apply", "changes": changes}, result)
        if applied.get("failed"):
            raise EngineFailure(
                f"Failed to apply {len(changes)} change(s): {applied.get('msg')}",
                applied,
                host_changed=applied.get("error") == "rollback_failed",
            )

    def _engine(self, task_vars, document: dict, result: dict) -> dict:
        """One engine run; again, after a pause, when a file was locked (see FILE_LOCK_PAUSES)."""
        pauses, runs = list(self.FILE_LOCK_PAUSES), 0
        while True:
            runs += 1
            result["engine_runs"] += 1
            answer = self._execute_module(
                module_name=ENGINE, module_args=module_args(document), task_vars=task_vars
            )
            if answer.get("error") != "file_locked" or not pauses:
                break
            time.sleep(pauses.pop(0))
        if runs > 1:
            result.setdefault("warnings", []).append(
                f"A file was locked by another process (the Group Policy service applying it): "
                f"the engine's {document['action']} ran {runs} times"
            )
        return answer

    def _failed(
        self,
        result: dict,
        runs: list,
        message: str,
        engine_result: dict | None = None,
        keep_drift: bool = False,
    ) -> dict:
        result.update(failed=True, msg=message)
        for run in runs:
            # Extra keys describe the state the host would reach; it did not reach it.
            run.result.update(dict.fromkeys(run.part.result_keys))
            if not keep_drift:
                run.result.update(drift=[], changed=False)
        result.update(engine_failure_keys(engine_result))
        result.setdefault("changed", False)
        return self._finish(result, runs)

    def _finish(self, result: dict, runs: list) -> dict:
        result = self.shape_result(result, runs)
        warnings = [warning for run in runs for warning in run.warnings]
        if warnings:
            result["warnings"] = list(result.get("warnings", [])) + warnings
        return result
