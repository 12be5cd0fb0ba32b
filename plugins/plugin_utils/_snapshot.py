# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The per-host snapshot: what the host held before the first write, and what was written.

Internal use only. A snapshot is one JSON file per host on the controller, written from the
`read` the task makes anyway (no extra round trip) just before the `apply`, and only when
there is something to apply. It holds:

- `before`: every key the task read, with all its values exactly as read, every firewall
  rule it read, and `files` (reserved for stores kept in files, e.g. Local Group Policy:
  one `{path, exists, sha256, data}` per file, data in base64);
- `after`: the same with the task's changes applied, i.e. what the rollout left, so that a
  restore can tell a host changed since the rollout from one that was not;
- `host`, `taken_at` (UTC, ISO 8601) and `sha256` over the rest (canonical JSON), so a
  damaged or edited file is refused instead of restored.

The file is written atomically (a temporary file in the same directory, then a rename), and
an existing snapshot is kept unless `snapshot_overwrite` is set: the first rollout's prior
state is the one worth returning to.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import file_key
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
    path_key,
)

FORMAT = 1
# The task-level options every module of the collection takes (documented with each module).
ARGUMENT_SPEC = {
    "snapshot_dir": {"type": "path"},
    "snapshot_overwrite": {"type": "bool", "default": False},
}
OPTION_NAMES = tuple(ARGUMENT_SPEC)


class SnapshotError(Exception):
    """A snapshot that cannot be written, found or trusted."""


@dataclass(frozen=True)
class SnapshotOptions:
    directory: str | None = None
    overwrite: bool = False


def split_options(args: dict) -> tuple[dict, SnapshotOptions, list]:
    """(the other options, the snapshot options, OptionErrors): the snapshot options belong
    to the task, not to any part."""
    rest = {k: v for k, v in args.items() if k not in OPTION_NAMES}
    errors = []
    directory = args.get("snapshot_dir")
    if directory is not None and (not isinstance(directory, str) or not directory.strip()):
        errors.append(OptionError("snapshot_dir", directory, "must be a directory path"))
        directory = None
    overwrite = args.get("snapshot_overwrite", False)
    if isinstance(overwrite, str) and overwrite.lower() in ("true", "yes", "false", "no"):
        overwrite = overwrite.lower() in ("true", "yes")
    if not isinstance(overwrite, bool):
        errors.append(OptionError("snapshot_overwrite", overwrite, "must be a boolean"))
        overwrite = False
    if directory is not None:
        directory = os.path.expanduser(directory)
    return rest, SnapshotOptions(directory, overwrite), errors


def state_from_read(read: dict, rules=(), files=()) -> dict:
    """The managed state as read: every key read (each once, all its values), and of the
    rules and files read only those named in `rules` / `files` (the ones the task manages:
    a rule or file read only to check something is not the task's to restore)."""
    keys, seen = [], set()
    for key in read.get("keys") or []:
        if path_key(key["path"]) in seen:
            continue
        seen.add(path_key(key["path"]))
        values = [dict(v) for v in key.get("values") or []]
        keys.append({"path": key["path"], "exists": bool(key.get("exists")), "values": values})
    managed_rules = {name_key(name) for name in rules}
    found_rules = [
        {
            "name": rule["name"],
            "exists": bool(rule.get("exists")),
            "enabled": rule.get("enabled"),
            "profiles": list(rule.get("profiles") or []),
        }
        for rule in read.get("firewall_rules") or []
        if name_key(rule["name"]) in managed_rules
    ]
    managed_files = {file_key(path) for path in files}
    found_files = [
        {k: item.get(k) for k in ("path", "exists", "sha256", "data")}
        for item in read.get("files") or []
        if file_key(item["path"]) in managed_files
    ]
    return {"keys": keys, "firewall_rules": _unique_rules(found_rules), "files": found_files}


def _unique_rules(rules: list) -> list:
    seen, unique = set(), []
    for rule in rules:
        if name_key(rule["name"]) not in seen:
            seen.add(name_key(rule["name"]))
            unique.append(rule)
    return unique


def after_changes(before: dict, changes: list) -> dict:
    """`before` with the apply's changes made: what the host holds once the apply lands."""
    after = copy.deepcopy(before)
    keys = {path_key(key["path"]): key for key in after["keys"]}
    rules = {name_key(rule["name"]): rule for rule in after["firewall_rules"]}
    files = {file_key(item["path"]): item for item in after["files"]}
    for change in changes:
        if change["op"] == "replace_file":
            data = base64.b64decode(change["data"])
            entry = files.setdefault(file_key(change["path"]), {"path": change["path"]})
            if entry not in after["files"]:
                after["files"].append(entry)
            entry.update(exists=True, sha256=hashlib.sha256(data).hexdigest(), data=change["data"])
            continue
        if change["op"] == "set_rule":
            rule = rules[name_key(change["name"])]
            rule.update(enabled=change["enabled"], profiles=list(change["profiles"]))
            continue
        if change["op"] not in ("set_value", "delete_value"):
            raise ValueError(f"a snapshot cannot follow the change {change['op']!r}")
        key = keys.get(path_key(change["path"]))
        if key is None:
            key = {"path": change["path"], "exists": False, "values": []}
            after["keys"].append(key)
            keys[path_key(change["path"])] = key
        key["values"] = [
            v for v in key["values"] if name_key(v["name"]) != name_key(change["name"])
        ]
        if change["op"] == "set_value":
            key["exists"] = True
            value = {"name": change["name"], "type": change["type"], "data": change["data"]}
            key["values"] = sorted([*key["values"], value], key=lambda v: name_key(v["name"]))
    return after


def document(host: str, before: dict, after: dict, taken_at: str | None = None) -> dict:
    """The snapshot file's content, sealed with its SHA-256."""
    if taken_at is None:
        now = datetime.datetime.now(datetime.UTC)
        taken_at = now.isoformat(timespec="seconds")
    body = {"format": FORMAT, "host": host, "taken_at": taken_at, "before": before, "after": after}
    return {**body, "sha256": _seal(body)}


def _seal(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def file_for(directory: str, host: str) -> str:
    """<directory>/<host>.json; characters a file name should not carry become `_`."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", host).lstrip(".") or "_"
    return os.path.join(directory, f"{safe}.json")


def save(directory: str, doc: dict, overwrite: bool) -> dict:
    """Write the snapshot unless one is there and `overwrite` is false. Returns
    {path, sha256, taken_at, written}: those of the file that is there afterwards."""
    path = file_for(directory, doc["host"])
    if os.path.exists(path) and not overwrite:
        kept = load(directory, doc["host"])
        return {
            "path": path,
            "sha256": kept["sha256"],
            "taken_at": kept["taken_at"],
            "written": False,
        }
    try:
        os.makedirs(directory, exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=".winra-snapshot-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(doc, stream, indent=2, ensure_ascii=False, sort_keys=True)
                stream.write("\n")
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temp, path)
        except BaseException:
            if os.path.exists(temp):
                os.unlink(temp)
            raise
    except OSError as exc:
        raise SnapshotError(f"Failed to write the snapshot '{path}': {exc}") from exc
    return {"path": path, "sha256": doc["sha256"], "taken_at": doc["taken_at"], "written": True}


def load(directory: str, host: str) -> dict:
    """The host's snapshot, checked: readable JSON of this format, for this host, unaltered."""
    path = file_for(directory, host)
    try:
        with open(path, encoding="utf-8") as stream:
            doc = json.load(stream)
    except FileNotFoundError as exc:
        raise SnapshotError(f"No snapshot for host '{host}': '{path}' does not exist") from exc
    except (OSError, ValueError) as exc:
        raise SnapshotError(f"Failed to read the snapshot '{path}': {exc}") from exc
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise SnapshotError(f"The snapshot '{path}' is not of format {FORMAT}")
    body = {k: v for k, v in doc.items() if k != "sha256"}
    if doc.get("sha256") != _seal(body):
        raise SnapshotError(
            f"The snapshot '{path}' does not match its sha256: it was altered or damaged"
        )
    if doc.get("host") != host:
        raise SnapshotError(f"The snapshot '{path}' is for host {doc.get('host')!r}, not {host!r}")
    return doc
