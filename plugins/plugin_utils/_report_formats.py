# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One report document in the format a filter was asked for. Internal use only.

Both report filters (fleet_report, merge_fleet_reports) end the same way; the choice of
renderer lives here once.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    render_markdown,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_html import (
    render_html,
)


def render(document: dict, format: str):
    """`document` (the dict) as it is, or rendered as Markdown or as one HTML page."""
    if format == "markdown":
        return render_markdown(document)
    if format == "html":
        return render_html(document)
    return document
