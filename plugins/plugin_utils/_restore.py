# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""win_ra_restore's decisions: put a host back to its snapshot, compare-and-swap.

Internal use only. A snapshot (plugin_utils._snapshot) holds the managed state before the
rollout (`before`) and what the rollout left (`after`). A restore reads the same keys and
rules, and:

- compares the host with `after`: a host whose managed state differs (someone or something
  changed it since the rollout) is reported and left alone, unless `force`;
- wants every value of `before` back, every value `before` did not have deleted (a restore
  removes what was added after the snapshot), every managed rule back to its prior enabled
  state and profiles;
- with the Local Group Policy store, undoes the rollout's records in Registry.pol and raises
  gpt.ini's version (_restore_files).

The wants go through the same planner as a rollout, so every write carries the `expect` this
read returned: a value changed between this read and the apply makes the engine refuse all.
Keys the rollout created stay (empty): the engine's `apply` deletes values, never keys.
"""

from __future__ import annotations

import os

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _snapshot
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import file_key
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    OptionError,
    OptionErrors,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    RULE_PATH,
    CurrentState,
    Plan,
    WantAbsent,
    WantRule,
    WantValue,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    REG_TYPES,
    RegValue,
    name_key,
    normalise_path,
    same_value,
)

SETTING = "restore"
OPTIONS = ("snapshot_dir", "force")


class RestoreError(Exception):
    """A snapshot that cannot be used: nothing is read from or written to the host."""


def check_options(args: dict) -> tuple[str, bool]:
    """(snapshot directory, force) or OptionError naming every bad option."""
    errors = [
        OptionError(str(name), args[name], f"unknown option; known: {', '.join(OPTIONS)}")
        for name in args
        if name not in OPTIONS
    ]
    directory = args.get("snapshot_dir")
    if not isinstance(directory, str) or not directory.strip():
        errors.append(OptionError("snapshot_dir", directory, "must be the snapshots' directory"))
    force = args.get("force", False)
    if isinstance(force, str) and force.lower() in ("true", "yes", "false", "no"):
        force = force.lower() in ("true", "yes")
    if not isinstance(force, bool):
        errors.append(OptionError("force", force, "must be a boolean"))
    if errors:
        raise OptionErrors(errors)
    return directory, force


def find_snapshot(directory: str, host: str) -> tuple[dict | None, dict | str]:
    """(the host's checked snapshot, {path, sha256, taken_at}), or (None, a warning) when the
    rollout took none for this host (it wrote nothing there). RestoreError: the directory is
    missing, or the snapshot is damaged, altered or someone else's."""
    directory = os.path.expanduser(directory)
    if not os.path.isdir(directory):
        raise RestoreError(
            f"The snapshot directory '{directory}' does not exist; nothing was written"
        )
    path = _snapshot.file_for(directory, host)
    if not os.path.exists(path):
        return None, f"No snapshot for host '{host}' in '{directory}': nothing to restore"
    try:
        snapshot = _snapshot.load(directory, host)
    except _snapshot.SnapshotError as err:
        raise RestoreError(f"{err}; nothing was written to the host") from None
    return snapshot, {"path": path, "sha256": snapshot["sha256"], "taken_at": snapshot["taken_at"]}


def left_alone(changed: list) -> str:
    """The message of a restore refused because the host changed since the rollout."""
    first = changed[0]
    return (
        f"Left alone: {len(changed)} managed value(s), rule(s) or policy record(s) changed since "
        f"the rollout (first: '{first['path']}\\{first['name']}'); see changed_since_rollout, "
        "and set force to restore anyway"
    )


def read_request(snapshot: dict) -> dict:
    """The keys and rules of the snapshot: exactly what a restore may change."""
    before, after = snapshot["before"], snapshot["after"]
    keys, rules = [], []
    for key in [*before["keys"], *after["keys"]]:
        if key["path"] not in keys:
            keys.append(key["path"])
    for rule in [*before["firewall_rules"], *after["firewall_rules"]]:
        if rule["name"] not in rules:
            rules.append(rule["name"])
    request = {"keys": keys, "accounts": [], "firewall_rules": rules}
    files = []
    for item in [*before.get("files", []), *after.get("files", [])]:
        if file_key(item["path"]) not in {file_key(p) for p in files}:
            files.append(item["path"])
    if files:  # an engine without the files section still serves a snapshot without files
        request["files"] = files
    return request


def _values(key: dict) -> dict:
    return {name_key(v["name"]): RegValue(v["name"], v["type"], v["data"]) for v in key["values"]}


def _current_values(current: CurrentState, path: str) -> dict:
    return {name_key(v.name): v for v in current.key(path).values}


def _state(value: RegValue | None) -> dict | None:
    return value.as_json() if value is not None else None


def differences(expected: dict, current: CurrentState) -> list:
    """Where the host's values and rules differ from a snapshot state (`before` or `after`):
    one item per value or rule, {path, name, expected, actual}, as drift items are. The Local
    Group Policy file is compared record by record (_restore_files)."""
    found = []
    for key in expected["keys"]:
        path = normalise_path(key["path"])
        want, have = _values(key), _current_values(current, path)
        for identity in sorted(set(want) | set(have)):
            wanted, actual = want.get(identity), have.get(identity)
            if same_value(actual, wanted):
                continue
            name = (wanted or actual).name
            found.append(
                {"path": path, "name": name, "expected": _state(wanted), "actual": _state(actual)}
            )
    for rule in expected["firewall_rules"]:
        actual = current.rule(rule["name"])
        wanted = {"enabled": rule["enabled"], "profiles": list(rule["profiles"])}
        have = None
        if actual is not None and actual.get("exists"):
            have = {
                "enabled": actual.get("enabled"),
                "profiles": list(actual.get("profiles") or []),
            }
        if rule["exists"] and have != wanted:
            found.append(
                {"path": RULE_PATH, "name": rule["name"], "expected": wanted, "actual": have}
            )
    return found


def wants(snapshot: dict, current: CurrentState) -> list:
    """What the host must hold to be back at `before`."""
    found = []
    for key in snapshot["before"]["keys"]:
        path = normalise_path(key["path"])
        before = _values(key)
        for value in before.values():
            if value.type in REG_TYPES:  # REG_OTHER cannot be written; it is left as it is
                found.append(WantValue(SETTING, path, value.name, value.type, value.data))
        for identity, value in _current_values(current, path).items():
            if identity not in before:
                found.append(WantAbsent(SETTING, path, value.name))
    # A key the rollout created is in `after` only: every value in it was added.
    known = {name_key(normalise_path(k["path"])) for k in snapshot["before"]["keys"]}
    for key in snapshot["after"]["keys"]:
        path = normalise_path(key["path"])
        if name_key(path) not in known:
            found += [WantAbsent(SETTING, path, v.name) for v in current.key(path).values]
    for rule in snapshot["before"]["firewall_rules"]:
        read = current.rule(rule["name"])
        if rule["exists"] and rule["profiles"] and read is not None and read.get("exists"):
            found.append(WantRule(SETTING, rule["name"], rule["enabled"], tuple(rule["profiles"])))
    return found


def plan(snapshot: dict, current: CurrentState) -> Plan:
    """The live values' and rules' changes back to `before`, compare-and-swap on this read."""
    return make_plan(wants(snapshot, current), current)
