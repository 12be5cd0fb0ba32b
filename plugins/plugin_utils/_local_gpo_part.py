# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""`policy_store: local_gpo`: the Local Group Policy files in the task's one read and one apply.

Internal use only. Pure. The parts say what they want in Registry.pol (`offer_policy`,
`firewall_policy`); this module reads both files from the same `read` as the registry keys,
merges every part's records into the one Registry.pol (_local_gpo_merge), raises gpt.ini's
machine version only when Registry.pol changes (_gpt_ini), and returns the `replace_file`
changes that go first in the apply: Registry.pol, then gpt.ini, then the live values.
Files first: if the host stopped between the two, a file that already holds the new policy
is applied by the next refresh, whereas live values ahead of the file would be taken back.

It also reports, per managed value, what Registry.pol says and what the host holds
(`local_policy`), so an audit shows where they disagree.

The `registry` store reads and writes no file: the task behaves as it always did.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _gpt_ini, _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    answer_for,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    format_entry,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    ALLOW,
    FULL_CONTROL,
    GPT_INI,
    MACHINE_POL,
    RA_UNSOLICIT,
    TERMINAL_SERVICES,
    DesiredPolicy,
    FirewallList,
    OfferPolicy,
    list_key,
    list_parent,
    same_key,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_merge import (
    plan as merge_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_refresh import (
    compare_live,
    relative_key,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import Plan

POLICY_STORES = ("local_gpo", "registry")
DEFAULT_STORE = "local_gpo"
ARGUMENT_SPEC = {
    "policy_store": {"type": "str", "choices": list(POLICY_STORES), "default": DEFAULT_STORE}
}
FILES = (MACHINE_POL, GPT_INI)
# offer `state` -> the Offer Remote Assistance policy's state in the Group Policy editor
OFFER_STATES = {"enabled": "enabled", "disabled": "disabled", "absent": "not_configured"}


# -- what the parts want in Registry.pol --------------------------------------------------------


def uses_local_gpo(options) -> bool:
    return getattr(options, "policy_store", "registry") == "local_gpo"


def offer_policy(options, helpers: list) -> list:
    """win_offer_ra's wish for Registry.pol: the Offer Remote Assistance policy with the
    helper list the host holds once the task converged it (`helpers`). Solicited Remote
    Assistance and DCOM are not in the mapping: they stay live values only."""
    if not uses_local_gpo(options):
        return []
    state = OFFER_STATES[options.state]
    enabled = state == "enabled"
    offer = OfferPolicy(
        state,
        control=enabled and options.permission == "control",
        helpers=tuple(helpers) if enabled else (),
    )
    return [DesiredPolicy(offer=offer)]


def firewall_policy(options) -> list:
    """win_ra_firewall's wish (backend policy only: the rules backend is not policy)."""
    if not uses_local_gpo(options) or options.backend != "policy":
        return []
    lists = []
    for profile in options.profiles:
        for kind, entries in (("port", options.ports), ("program", options.programs)):
            if entries:
                texts = tuple(format_entry(entry) for entry in entries)
                lists.append(FirewallList(profile, kind, texts))
    if not lists and not options.exclusive:
        return []
    return [
        DesiredPolicy(state=options.state, firewall=tuple(lists)),
        *([ExclusiveLists(options.profiles, lists)] if options.exclusive else []),
    ]


@dataclass(frozen=True)
class ExclusiveLists:
    """`exclusive: true`: every ordinary entry of these profiles' lists that is not ours goes
    from Registry.pol too (else the next refresh would put back what the task removed)."""

    profiles: tuple
    ours: list

    def apply(self, records: tuple) -> tuple:
        keep = {(fw.profile, fw.kind): set(fw.entries) for fw in self.ours}
        kept, removed = [], []
        for record in records:
            if record.special_kind is None and self._foreign(record, keep):
                removed.append(_change_json(setting_of(record.key, ""), "remove", record))
            else:
                kept.append(record)
        return tuple(kept), removed

    def _foreign(self, record, keep: dict) -> bool:
        for profile in self.profiles:
            for kind in ("port", "program"):
                if same_key(record.key, list_key(profile, kind)):
                    data = _preg.decode_data(record)[1]
                    return data not in keep.get((profile, kind), set())
        return False


# -- the plan ---------------------------------------------------------------------------------------


@dataclass
class FilePlan:
    """`changes`: replace_file changes, Registry.pol first. `by_part`: part name ->
    {changes: [record changes], values: [Registry.pol vs live]}."""

    changes: list = field(default_factory=list)
    by_part: dict = field(default_factory=dict)
    diff_before: list = field(default_factory=list)
    diff_after: list = field(default_factory=list)


def files_to_read(any_local_gpo: bool) -> dict:
    """The read request's addition: both files, or nothing (the registry store)."""
    return {"files": list(FILES)} if any_local_gpo else {}


def plan_files(wishes: dict, read: dict, live: dict, host: str) -> FilePlan:
    """`wishes`: part name -> its list of DesiredPolicy / ExclusiveLists (empty: not local_gpo);
    `read`: the engine's read result; `live`: path -> {name: {type, data}} of the keys read.

    Raises HostStateError naming the host and the file when a file does not parse: a file
    that is not fully understood is never rewritten."""
    result = FilePlan()
    if not any(wishes.values()):
        return result
    pol_file, ini_file = _files(read, host)
    pol_bytes = _data(pol_file)
    try:
        current = _preg.parse(pol_bytes or b"", source=pol_file["path"])
    except _preg.PolFileError as err:
        raise HostStateError(f"Host '{host}': {err}; nothing was written") from None
    records = current.records
    for name, wanted in wishes.items():
        if not wanted:
            continue
        changes = []
        values = _values(current.records, live, name)
        for wish in wanted:
            if isinstance(wish, ExclusiveLists):
                records, removed = wish.apply(records)
                changes += removed
            else:
                merged = merge_plan(records, wish)
                records = merged.records
                changes += [change.to_json() for change in merged.changes]
        result.by_part[name] = {"changes": changes, "values": values}
    new_pol = _preg.write(records, empty=current.empty)
    # Compare bytes: a file already as wanted is never sent, so a second run writes nothing.
    if (new_pol == pol_bytes) if pol_bytes is not None else not records:
        return result
    try:
        new_ini = _gpt_ini.updated(_data(ini_file))
    except _gpt_ini.GptIniError as err:
        raise HostStateError(
            f"Host '{host}': Failed to read '{ini_file['path']}': {err}; nothing was written"
        ) from None
    result.changes = [replace_change(pol_file, new_pol), replace_change(ini_file, new_ini)]
    result.diff_before = [f"{pol_file['path']} sha256={pol_file.get('sha256')}"]
    result.diff_after = [f"{pol_file['path']} sha256={hashlib.sha256(new_pol).hexdigest()}"]
    return result


def join_file_plan(whole: Plan, files: FilePlan, runs: list) -> Plan:
    """The task's one plan with the file changes first, and each part's `local_policy`."""
    for run in runs:
        store = getattr(run.options, "policy_store", "registry")
        run.result["local_policy"] = local_policy_result(store, files.by_part.get(run.name))
    if not files.changes:
        return whole
    return Plan(
        files.changes + list(whole.changes),
        list(whole.drift),
        files.diff_before + list(whole.before),
        files.diff_after + list(whole.after),
    )


# The drift label of a record the task would add to or remove from Registry.pol.
DRIFT_SETTING = "local_group_policy"


def file_drift(files: FilePlan, name: str | None) -> list:
    """A part's Registry.pol record changes as drift items, when the file is to be replaced:
    a host whose live values are right but whose Local Group Policy lacks the standard is not
    compliant (the Group Policy editor shows the policy as not configured, and a converge
    writes the file)."""
    if not files.changes:
        return []
    items = []
    for change in files.by_part.get(name, {}).get("changes", []):
        state = {"type": change["type"], "data": change["data"]}
        expected = state if change["action"] == "add" else None
        actual = state if change["action"] == "remove" else None
        if change["action"] == "reorder":  # `**delvals.` after the values it would delete
            expected, actual = {"order": "**delvals. first"}, {"order": "**delvals. later"}
        items.append(
            {
                "setting": DRIFT_SETTING,
                **record_difference(change["key"], change["value"], expected, actual),
            }
        )
    return items


def record_difference(key: str, value: str, expected, actual) -> dict:
    """A Registry.pol record as a difference item, {path, name, expected, actual}: the path is
    the file, the name `<key>\\<value>`."""
    return {"path": MACHINE_POL, "name": f"{key}\\{value}", "expected": expected, "actual": actual}


def part_changed(files: FilePlan, run) -> bool:
    """True when the files are replaced and this part's records are among the changes."""
    return bool(files.changes) and bool(files.by_part.get(run.name, {}).get("changes"))


def read_failure_hint(request: dict, read: dict) -> str:
    """An engine without the file primitives refuses the `files` option: say what to do."""
    msg = str(read.get("msg") or "")
    if "files" in request and "Unsupported parameters" in msg and "files" in msg:
        return (
            "; policy_store local_gpo needs the engine's file primitives, which this engine"
            " does not have: set policy_store to registry"
        )
    return ""


def _files(read: dict, host: str) -> tuple:
    # By path, not position: the same read may carry other files (msra.exe, for the
    # functional check). The engine echoes each path as it was asked.
    found = tuple(answer_for(read.get("files"), path) for path in FILES)
    if None in found:
        raise HostStateError(
            f"Host '{host}': the engine did not return the Local Group Policy files"
            " (policy_store local_gpo needs its file primitives; use policy_store registry)"
        )
    return found


def _data(file: dict) -> bytes | None:
    if not file.get("exists"):
        return None
    return base64.b64decode(file.get("data") or "")


def replace_change(file: dict, data: bytes) -> dict:
    """A replace_file change, compare-and-swap on what the read returned for `file`."""
    if file.get("exists"):
        expect = {"present": True, "sha256": file["sha256"]}
    else:
        expect = {"present": False}
    return {
        "op": "replace_file",
        "path": file["path"],
        "data": base64.b64encode(data).decode("ascii"),
        "expect": expect,
    }


def _change_json(setting: str, action: str, record) -> dict:
    type_name, data = _preg.decode_data(record)
    return {
        "setting": setting,
        "action": action,
        "key": record.key,
        "value": record.value,
        "type": type_name,
        "data": data,
    }


# -- the audit: Registry.pol value vs live value ---------------------------------------------------


def setting_of(key: str, name: str) -> str | None:
    """The result's setting label of a value the collection manages in Registry.pol."""
    relative = relative_key(key)
    if same_key(relative, TERMINAL_SERVICES):
        return {ALLOW.casefold(): "offer_policy", FULL_CONTROL.casefold(): "permission"}.get(
            name.casefold()
        )
    if same_key(relative, RA_UNSOLICIT):
        return "helpers"
    for profile in ("domain", "standard"):
        for kind, label in (("port", "firewall_ports"), ("program", "firewall_programs")):
            if same_key(relative, list_key(profile, kind)):
                return label
            if same_key(relative, list_parent(profile, kind)) and name.casefold() == "enabled":
                return "firewall_list_enabled"
    return None


PART_SETTINGS = {
    "offer": ("offer_policy", "permission", "helpers"),
    "firewall": ("firewall_list_enabled", "firewall_ports", "firewall_programs"),
}


def _values(records, live: dict, part: str) -> list:
    """One row per managed value Registry.pol decides, as read (before this task):
    `status` is `agrees`, or `differs` (a refresh has not applied the file yet, or the live
    value was changed outside policy; the next refresh writes the file's value)."""
    wanted = PART_SETTINGS.get(part, PART_SETTINGS["offer"] + PART_SETTINGS["firewall"])
    rows = []
    for row in compare_live(records, live):
        setting = setting_of(row["key"], row["name"])
        if setting is None or setting not in wanted:
            continue
        rows.append(
            {
                "setting": setting,
                "path": row["key"],
                "name": row["name"],
                "policy": row["policy"],
                "live": row["live"],
                "status": "agrees" if row["agrees"] else "differs",
            }
        )
    return rows


def live_values(current) -> dict:
    """path -> {name: {type, data}} of every key the read returned (CurrentState)."""
    return {
        snapshot.path: {
            value.name: {"type": value.type, "data": value.data} for value in snapshot.values
        }
        for snapshot in current.keys.values()
    }


def local_policy_result(store: str, part_result: dict | None) -> dict | None:
    """A part's `local_policy` result key: null with the registry store."""
    if store != "local_gpo" or part_result is None:
        return None
    return {
        "store": store,
        "file": MACHINE_POL,
        "changes": part_result["changes"],
        "values": part_result["values"],
        "differs": sum(1 for row in part_result["values"] if row["status"] != "agrees"),
    }


def merged_local_policy(parts: list) -> dict | None:
    """The composite's top-level `local_policy`: its parts' in PARTS order; null when no part
    uses the Local Group Policy store."""
    given = [part for part in parts if part is not None]
    if not given:
        return None
    return {
        "store": "local_gpo",
        "file": MACHINE_POL,
        "changes": [change for part in given for change in part["changes"]],
        "values": [row for part in given for row in part["values"]],
        "differs": sum(part["differs"] for part in given),
    }
