# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_remote_assistance: the Offer RA and firewall parts in one engine run per host."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _composite
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
)


class ActionModule(EngineAction):
    def select_parts(self, args):
        return _composite.select(args)

    def top_level_errors(self, args):
        return _composite.top_level_errors(args)

    def cross_check(self, runs):
        return _composite.cross_errors({run.name: run.options for run in runs})

    def shape_result(self, result, runs):
        return _composite.shape_result(result, runs)
