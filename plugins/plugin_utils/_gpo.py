# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Group Policy conflicts: values we manage that a domain GPO sets to something else.

Internal use only. Group Policy writes its values again at every refresh (every 90 ± 30
minutes and at boot), so a local write that disagrees with a GPO does not last: the value
flaps between the two. The engine's `read` reports which values a GPO sets
(`policy_sources`, docs/engine-contract.md); this module compares them with the wants.
"""

from __future__ import annotations

from collections.abc import Iterable

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    WantAbsent,
    WantValue,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    RegValue,
    name_key,
    normalise_path,
    path_key,
    render,
    same_value,
)

REFRESH = "every 90 ± 30 minutes and at boot"


def conflicts(wants: Iterable, policy_sources: dict | None) -> list:
    """One item per value we want that the winning GPO sets differently (or at all, for a
    value we want absent): {setting, path, name, gpo, gpo_value, expected}."""
    sources = policy_sources if isinstance(policy_sources, dict) else {}
    if not sources.get("available"):
        return []
    by_value = {
        (path_key(value["path"]), name_key(value["name"])): value
        for value in sources.get("values") or []
    }
    found, seen = [], set()
    for want in wants:
        if not isinstance(want, (WantValue, WantAbsent)):
            continue  # firewall rules are not registry values a GPO sets here
        identity = (path_key(want.path), name_key(want.name))
        source = by_value.get(identity)
        if source is None or identity in seen:
            continue
        seen.add(identity)
        gpo_value = RegValue(source["name"], source["type"], source["data"])
        expected = None
        if isinstance(want, WantValue):
            expected = RegValue(want.name, want.type, want.data)
            if same_value(gpo_value, expected):
                continue
        found.append(
            {
                "setting": want.setting,
                "path": normalise_path(want.path),
                "name": source["name"],
                "gpo": source.get("gpo") or source.get("gpo_id") or "an unnamed GPO",
                "gpo_value": gpo_value.as_json(),
                "expected": expected.as_json() if expected is not None else None,
            }
        )
    return found


def conflict_warning(conflict: dict) -> str:
    """The warning a task gives for one conflict: what, which GPO, why it flaps, what to do."""
    gpo_value = RegValue(conflict["name"], **conflict["gpo_value"])
    expected = conflict["expected"]
    ours = (
        f"this task would set {render(RegValue(conflict['name'], **expected))}"
        if expected is not None
        else "this task would remove it"
    )
    return (
        f"Group Policy conflict ({conflict['setting']}): '{conflict['path']}\\{conflict['name']}' "
        f"is set to {render(gpo_value)} by the GPO '{conflict['gpo']}'; {ours}. Not written: "
        f"Group Policy would put its value back at the next refresh ({REFRESH}); "
        "change the GPO instead."
    )


def unknown_sources_warning(policy_sources: dict | None) -> str | None:
    """A warning when Group Policy conflicts cannot be known: RSoP logging is turned off."""
    if (policy_sources or {}).get("status") != "logging_off":
        return None
    return (
        "Group Policy conflicts are unknown on this host: Resultant Set of Policy logging is "
        "off (RSoPLogging = 0 under HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\System), "
        "so a GPO that sets these values would not be reported."
    )
