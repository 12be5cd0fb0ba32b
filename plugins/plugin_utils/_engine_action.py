# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The loop every module of this collection runs: validate, read, plan, apply, report.

Internal use only. Subclasses (the action plugins) only wire options to the pure decision
code in plugin_utils. Round trips are the cost that matters over WinRM, so the loop makes
one engine run for a compliant host or in check mode, and two for a host that drifts.
Bad input fails here, before any connection is made.
"""

from __future__ import annotations

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    CONTRACT_VERSION,
    decode_read,
    module_args,
    read_document,
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
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    make_plan,
)

ENGINE = "winra.remote_assistance.win_ra_state"


class EngineAction(ActionBase):
    ARGUMENT_SPEC: dict = {}
    # Keys extra_result() fills; present on every path, null when the task failed (the value
    # would describe a state the host did not reach).
    EXTRA_RESULT_KEYS: tuple = ()
    TRANSFERS_FILES = False
    _requires_connection = True

    # -- what a subclass provides -------------------------------------------------------
    def validate(self, params: dict) -> object:
        """Domain checks after the argument spec; raise OptionError. Returns the options."""
        raise NotImplementedError

    def read_request(self, options) -> dict:
        """The `read` arguments: keys, accounts, firewall_rules."""
        raise NotImplementedError

    def desired(self, options, current: CurrentState) -> list:
        """The wants for this host; raise HostStateError when the host cannot comply."""
        raise NotImplementedError

    def extra_result(self, options, current: CurrentState) -> dict:
        return {}

    # -- the loop -------------------------------------------------------------------------
    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        self._supports_async = False
        result = super().run(tmp, task_vars)
        result.update(changed=False, drift=[], gpo_conflicts=[], engine_runs=0)
        result.update(dict.fromkeys(self.EXTRA_RESULT_KEYS))
        self._warnings = []

        validation = ArgumentSpecValidator(self.ARGUMENT_SPEC).validate(dict(self._task.args))
        if validation.error_messages:
            # The validator's messages already name the option and the value.
            return self._failed(result, "Invalid options: " + "; ".join(validation.error_messages))
        try:
            options = self.validate(validation.validated_parameters)
        except OptionError as err:
            return self._failed(result, str(err))

        # policy_sources in the same read: knowing which values a GPO fights over costs no
        # extra round trip. A read of no registry keys (rules backend) has nothing a GPO
        # could set here, so it spares the host the Resultant Set of Policy query.
        asked = self.read_request(options)
        request = read_document(**asked, policy_sources=bool(asked.get("keys")))
        read = self._engine(task_vars, request, result)
        if read.get("failed"):
            return self._failed(result, f"Failed to read the host state: {read.get('msg')}", read)
        if read.get("contract_version") != CONTRACT_VERSION:
            return self._failed(
                result,
                f"Failed to read the host state: the engine speaks contract version "
                f"{read.get('contract_version')!r}, this collection needs {CONTRACT_VERSION}",
            )

        read = decode_read(read, request)
        current = CurrentState.from_read(read)
        try:
            wants = list(self.desired(options, current))
            plan = make_plan(wants, current)
            result.update(self.extra_result(options, current))
        except HostStateError as err:
            return self._failed(result, str(err))

        # A GPO that sets a value differently wins at its next refresh: converge anyway (it is
        # what the task asks), but say so, in check mode too, so the conflict gets resolved.
        result["gpo_conflicts"] = conflicts(wants, read.get("policy_sources"))
        for conflict in result["gpo_conflicts"]:
            self.warn(conflict_warning(conflict))
        if unknown := unknown_sources_warning(read.get("policy_sources")):
            self.warn(unknown)

        result["drift"] = plan.drift
        result["changed"] = bool(plan.changes)
        if self._task.diff:
            result["diff"] = plan.diff
        if not plan.changes or self._task.check_mode:
            return self._finish(result)

        applied = self._engine(task_vars, {"action": "apply", "changes": plan.changes}, result)
        if applied.get("failed"):
            # A refused or rolled-back apply leaves the host as it was read.
            result["changed"] = applied.get("error") == "rollback_failed"
            message = f"Failed to apply {len(plan.changes)} change(s): {applied.get('msg')}"
            return self._failed(result, message, applied)
        return self._finish(result)

    # -- helpers ----------------------------------------------------------------------------
    def warn(self, message: str) -> None:
        self._warnings.append(message)

    def _engine(self, task_vars, document: dict, result: dict) -> dict:
        result["engine_runs"] += 1
        return self._execute_module(
            module_name=ENGINE, module_args=module_args(document), task_vars=task_vars
        )

    def _failed(self, result: dict, message: str, engine_result: dict | None = None) -> dict:
        result.update(failed=True, msg=message)
        result.update(dict.fromkeys(self.EXTRA_RESULT_KEYS))
        for key in ("error", "conflicts", "rolled_back"):
            if engine_result and key in engine_result:
                result[key] = engine_result[key]
        return self._finish(result)

    def _finish(self, result: dict) -> dict:
        if self._warnings:
            result["warnings"] = list(result.get("warnings", [])) + self._warnings
        return result
