# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_remote_assistance: the Offer RA and firewall parts in one engine run per host."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _composite
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
    PartRun,
)


class ActionModule(EngineAction):
    def select_parts(self, args):
        runs = [
            PartRun(name, part)
            for name, part in _composite.PARTS.items()
            if args.get(name) is not None
        ]
        return runs, {name: args.get(name) for name in _composite.PARTS}, _composite.labels_of(args)

    def top_level_errors(self, args):
        return _composite.top_level_errors(args)

    def cross_check(self, runs):
        return _composite.cross_errors({run.name: run.options for run in runs})

    def shape_result(self, result, runs):
        by_name = {run.name: run for run in runs}
        result["drift"] = [item for run in runs for item in run.result["drift"]]
        result["gpo_conflicts"] = [item for run in runs for item in run.result["gpo_conflicts"]]
        for run in runs:
            if run.warnings:
                run.result["warnings"] = list(run.warnings)
        for name in _composite.PARTS:
            result[name] = _composite.part_result_or_none(by_name.get(name))
        return result
