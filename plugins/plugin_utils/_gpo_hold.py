# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A plan without the writes a domain GPO would undo.

Internal use only. A value that the winning GPO sets differently (plugin_utils._gpo) goes
back to the GPO's value at the next Group Policy refresh: writing it only makes it flap and
makes every run report a change. Such changes are held back; the task reports them as
`gpo_conflicts`, naming the GPO, and the value stays in `drift` (it does differ from the
standard). `changed` then covers only what is written.
"""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import Plan
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
    normalise_path,
    path_key,
)


def _identity(path: str, name: str) -> tuple:
    return path_key(path), name_key(name)


def hold_gpo_values(plan: Plan, conflicts: list) -> Plan:
    """`plan` minus the changes of values in `conflicts`; their diff lines show the value
    left as it is."""
    held = {_identity(c["path"], c["name"]) for c in conflicts}
    if not held:
        return plan
    changes = [
        change
        for change in plan.changes
        if "path" not in change or _identity(change["path"], change["name"]) not in held
    ]
    labels = {name_key(f"{normalise_path(c['path'])}\\{c['name']}") for c in conflicts}
    after = [
        before
        if before.split(" = ", 1)[0] and name_key(before.split(" = ", 1)[0]) in labels
        else line
        for before, line in zip(plan.before, plan.after, strict=True)
    ]
    return Plan(changes, plan.drift, plan.before, after)
