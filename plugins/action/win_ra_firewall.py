# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_ra_firewall: the firewall part (plugin_utils._parts.FIREWALL) run by the engine loop."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._parts import FIREWALL


class ActionModule(EngineAction):
    PART = FIREWALL
