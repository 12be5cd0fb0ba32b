# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_offer_ra: the Offer RA part (plugin_utils._parts.OFFER) run by the engine loop."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_action import (
    EngineAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._parts import OFFER


class ActionModule(EngineAction):
    PART = OFFER
