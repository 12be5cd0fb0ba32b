# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""audit_report: the fleet report of the play's hosts, written on the controller in one step
(plugin_utils._report_files collects, builds and writes)."""

from __future__ import annotations

import datetime
import os

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _report_files
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    fleet_document,
    is_report_document,
)

ARGUMENT_SPEC = {
    "dest": {"type": "path", "required": True},
    "hosts": {"type": "list", "elements": "str"},
    "report": {"type": "dict"},
    "result_var": {"type": "str", "default": "offer_remote_assistance_result"},
    "failure_var": {"type": "str", "default": "winra_audit_failure"},
    "formats": {
        "type": "list",
        "elements": "str",
        "choices": list(_report_files.FILES),
        "default": list(_report_files.FILES),
    },
    "generated_at": {"type": "str"},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        checked = ArgumentSpecValidator(
            ARGUMENT_SPEC, mutually_exclusive=[["hosts", "report"]],
            required_one_of=[["hosts", "report"]],
        ).validate(self._task.args)  # fmt: skip
        if checked.error_messages:
            return dict(result, failed=True, msg="; ".join(checked.error_messages))
        args = checked.validated_parameters
        if args["report"] is not None:
            if not is_report_document(args["report"]):
                return dict(result, failed=True, msg="report must be a fleet report document")
            document = args["report"]
        else:
            hostvars = (task_vars or {}).get("hostvars") or {}
            # Only the two variables the report reads, host by host, untemplated: registered
            # results are data, not templates.
            host_vars = {host: hostvars.raw_get(host) for host in args["hosts"]}
            inputs = _report_files.audit_inputs(host_vars, args["result_var"], args["failure_var"])
            now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            document = fleet_document(
                inputs, hosts=args["hosts"], generated_at=args["generated_at"] or now
            )
        # The report describes the hosts; writing it on the controller is not a change to
        # them, and an audit writes it in check mode too.
        directory = os.path.realpath(args["dest"])
        files = _report_files.write(document, directory, args["formats"])
        return dict(
            result,
            changed=False,
            dest=directory,
            files=files,
            summary=document["summary"],
            statuses=_report_files.statuses(document),
        )
