"""The host engine `win_ra_state` in Python: docs/engine-contract.md, contract version 2.

It answers exactly what plugins/modules/win_ra_state.ps1 answers on Windows: values as .NET's
RegistryKey returns them (numbers as their little-endian bytes), rules as Get-NetFirewallRule
prints them, Resultant Set of Policy rows as WMI holds them. It decides nothing: decoding,
sorting and judging are the controller's. `apply` checks every change's `expect` against the
host (compare-and-swap, ordinal), writes in order and, if a write fails, rolls back what still
holds what it wrote.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

from winra_lab.windows import engine_files
from winra_lab.windows.files import FileLocked, FileStoreError, normalise, sha256
from winra_lab.windows.firewall import FirewallRule
from winra_lab.windows.hoststate import HostState
from winra_lab.windows.registry import (
    RegistryAccessDenied,
    RegistryError,
    RegValue,
    fold,
    same_path,
)

CONTRACT_VERSION = 2
ENGINE_PATH = "HKLM:\\"
_PATH = re.compile(r"HKLM:\\([^\\]+\\)*[^\\]+")
_KIND_DATA = {
    "String": None,
    "ExpandString": None,
    "MultiString": None,
    "Binary": re.compile(r"([0-9a-f]{2})*"),
    "DWord": re.compile(r"[0-9a-f]{8}"),
    "QWord": re.compile(r"[0-9a-f]{16}"),
}
_KIND_OF_TYPE = {
    "REG_SZ": "String",
    "REG_EXPAND_SZ": "ExpandString",
    "REG_MULTI_SZ": "MultiString",
    "REG_DWORD": "DWord",
    "REG_QWORD": "QWord",
    "REG_BINARY": "Binary",
    "REG_NONE": "None",
}
_TYPE_OF_KIND = {kind: reg_type for reg_type, kind in _KIND_OF_TYPE.items()}
_TYPE_NUMBER = {"REG_SZ": 1, "REG_EXPAND_SZ": 2, "REG_BINARY": 3, "REG_DWORD": 4,
                "REG_MULTI_SZ": 7, "REG_QWORD": 11}  # fmt: skip
_PROFILE = re.compile(r"Any|(Domain|Private|Public)(, (Private|Public))*")
_SHAPES = {
    "read": {"action": "string", "keys": "strings", "accounts": "strings",
             "firewall_rules": "strings", "policy_sources": "bool", "files": "strings",
             "exists": "strings"},
    "apply": {"action": "string", "changes": "objects"},
    "set_value": {"op": "string", "path": "string", "name": "string", "kind": "string",
                  "data": "data", "expect": "object"},
    "delete_value": {"op": "string", "path": "string", "name": "string", "expect": "object"},
    "set_rule": {"op": "string", "name": "string", "enabled": "bool", "profile": "string",
                 "expect": "object"},
    "absent": {"present": "bool"},
    "value": {"present": "bool", "kind": "string", "data": "data"},
    "rule": {"present": "bool", "enabled": "string", "profile": "string", "group": "string"},
}  # fmt: skip
_STATE_FIELDS = ("present", "kind", "data", "enabled", "profile", "group", "sha256")
# Nothing was changed and reading, deciding and applying again may succeed.
_RETRYABLE = ("file_locked", "precondition", "write_failed")
# The policy key whose RSoPLogging = 0 turns Resultant Set of Policy logging off.
RSOP_LOGGING_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\System"


class EngineError(Exception):
    """Ends an action with `failed: true` and `error: kind`."""

    def __init__(self, kind: str, msg: str):
        super().__init__(msg)
        self.kind = kind
        self.msg = msg


def _bad(msg: str) -> EngineError:
    return EngineError("bad_request", msg)


def encode_request(request: object) -> dict:
    """The module arguments that carry `request` (what the controller sends)."""
    text = json.dumps(request, ensure_ascii=False)
    return {"request": base64.b64encode(text.encode("utf-8")).decode("ascii")}


def run_engine(state: HostState, args: dict, check_mode: bool) -> dict:
    """Run one `win_ra_state` invocation against `state`; return the module result."""
    result: dict = {"changed": False, "contract_version": CONTRACT_VERSION}
    action = None
    try:
        request = _read_request(args)
        action = request.get("action") if isinstance(request, dict) else None
        if action == "read":
            result.update(_read(state, request))
        elif action == "apply":
            result.update(applied=0, rolled_back=False, conflicts=[])
            _external_changes(state, state.faults.change_before_apply)
            state.faults.change_before_apply = []
            _apply(state, request, check_mode, result)
        else:
            raise _bad(f"Invalid action {action!r}: expected read or apply")
    except EngineError as error:
        result.update(failed=True, msg=error.msg, error=error.kind)
        result["retryable"] = error.kind in _RETRYABLE
    return result


# ----- input: one base64 JSON document -------------------------------------------------------


def _read_request(args: dict) -> object:
    """What the engine makes of its module arguments: `request` only, base64 of UTF-8 JSON.

    Parsed as JSON exactly: no option conversion, no date conversion. Numbers parse (as
    they do on Windows) but no field takes one: integers travel as hex.
    """
    unknown = [k for k in args if k != "request" and not k.startswith("_ansible_")]
    if unknown or not isinstance(args.get("request"), str):
        raise _bad("Invalid module arguments: only 'request', a base64 string")
    try:
        text = base64.b64decode(args["request"], validate=True).decode("utf-8")
        return json.loads(text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise _bad(f"Invalid request: not base64 of a JSON document ({error})") from None


def _check_shape(obj: object, shape: str, where: str) -> None:
    fields = _SHAPES[shape]
    if not isinstance(obj, dict) or set(obj) != set(fields):
        raise _bad(f"Invalid {where}: expected an object with exactly {', '.join(fields)}")
    for name, kind in fields.items():
        value = obj[name]
        strings = isinstance(value, list) and all(isinstance(v, str) for v in value)
        ok = {
            "string": isinstance(value, str),
            "bool": isinstance(value, bool),
            "strings": strings,
            "object": isinstance(value, dict),
            "objects": isinstance(value, list),
            "data": isinstance(value, str) or strings,
        }[kind]
        if not ok:
            raise _bad(f"Invalid {where}: '{name}' must be {kind}")


def _subkey(path: str, where: str) -> str:
    if not _PATH.fullmatch(path):
        raise _bad(f"Invalid {where}: '{path}' is not a key path HKLM:\\<subkey>")
    return path


# ----- how Windows reports things -------------------------------------------------------------


def _raw_value(value: RegValue) -> dict:
    """A value as RegistryKey.GetValue returns it, numbers and bytes as lowercase hex.

    .NET reads a REG_DWORD of up to 4 bytes into an Int32 and one of 5 to 8 into an Int64
    (anything longer as bytes), a REG_QWORD of up to 8 into an Int64: shorter data comes
    back zero-extended.
    """
    kind = _KIND_OF_TYPE.get(value.type, "Unknown")
    data = value.data
    if value.type in ("REG_DWORD", "REG_QWORD"):
        raw = data if isinstance(data, bytes) else data.to_bytes(8, "little")[: _width(value.type)]
        width = 4 if value.type == "REG_DWORD" and len(raw) <= 4 else 8
        data = raw.ljust(width, b"\0").hex() if len(raw) <= 8 else raw.hex()
    elif isinstance(data, bytes):
        data = data.hex()
    elif isinstance(data, list):
        data = list(data)
    return {"present": True, "kind": kind, "data": data}


def _width(reg_type: str) -> int:
    return 4 if reg_type == "REG_DWORD" else 8


def _stored(kind: str, data: object) -> tuple[str, object]:
    """Request data of a kind -> (registry type, stored data), as RegistryKey.SetValue writes."""
    reg_type = _TYPE_OF_KIND[kind]
    if kind in ("DWord", "QWord"):
        raw = bytes.fromhex(data)  # type: ignore[arg-type]
        if len(raw) != _width(reg_type):
            raise RegistryError(f"a {kind} of {len(raw)} bytes cannot be written")
        return reg_type, int.from_bytes(raw, "little")
    if kind in ("Binary", "None"):
        return reg_type, bytes.fromhex(data)  # type: ignore[arg-type]
    return reg_type, list(data) if kind == "MultiString" else data  # type: ignore[arg-type]


def _profile(rule: FirewallRule) -> str:
    """The NetSecurity Profile enum as PowerShell prints it; all three is 'Any'."""
    names = [p.capitalize() for p in ("domain", "private", "public") if p in rule.profiles]
    return "Any" if len(names) in (0, 3) else ", ".join(names)


def _rule_row(rule: FirewallRule) -> dict:
    return {
        "name": rule.name,
        "enabled": "True" if rule.enabled else "False",
        "profile": _profile(rule),
        "group": rule.group or "",
        "display_name": rule.display_name,
        "display_group": rule.display_group,
        "source_type": rule.source_type,
        "source": rule.source,
    }


def _rules(state: HostState, names: list[str], store: str) -> list[FirewallRule]:
    """One Get-NetFirewallRule call: ActiveStore holds every rule, PersistentStore the local ones."""
    if state.faults.firewall_unavailable:
        raise EngineError(
            "query_failed",
            f"Failed to read firewall rules ({store}): the Windows Defender Firewall service "
            "(mpssvc) is not running",
        )
    wanted = {name.casefold() for name in names}
    return [
        rule
        for rule in state.firewall_rules
        if rule.name.casefold() in wanted
        and (store == "ActiveStore" or rule.source_type == "Local")
    ]


# ----- read ---------------------------------------------------------------------------------


def _read(state: HostState, request: object) -> dict:
    if isinstance(request, dict):
        request = {"files": [], "exists": [], **request}  # the optional fields
    _check_shape(request, "read", "read request")
    paths = [_subkey(path, "keys") for path in request["keys"]]  # type: ignore[index]
    files = [_file_path(path, "files") for path in request["files"]]  # type: ignore[index]
    probes = [_file_path(path, "exists") for path in request["exists"]]  # type: ignore[index]
    keys = [_read_key(state, path) for path in paths]
    accounts = request["accounts"]  # type: ignore[index]
    names = request["firewall_rules"]  # type: ignore[index]
    result = {
        "keys": keys,
        "accounts": _accounts(state, accounts) if accounts else [],
        "firewall_rules": [_rule_row(r) for r in _rules(state, names, "ActiveStore")]
        if names
        else [],
        "policy_sources": _policy_rows(state, paths)
        if request["policy_sources"] and paths  # type: ignore[index]
        else {"available": False, "reason": "not requested", "settings": []},
    }
    if files:  # a read that asks for no file has no `files`
        result["files"] = [
            engine_files.describe(asked, _file_bytes(state, path))  # the path echoed as asked
            for asked, path in zip(request["files"], files, strict=True)  # type: ignore[index]
        ]
    if probes:  # File.Exists opens nothing: the store's lock faults do not apply, no byte is read
        result["exists"] = [
            {"path": asked, "exists": state.files.exists(path)}
            for asked, path in zip(request["exists"], probes, strict=True)  # type: ignore[index]
        ]
    return result


def _file_path(path: object, where: str) -> str:
    try:
        return normalise(path)  # type: ignore[arg-type]
    except FileStoreError as error:
        raise _bad(f"Invalid {where}: {error}") from None


def _file_bytes(state: HostState, path: str) -> bytes | None:
    try:
        return state.files.read(path)
    except FileLocked as error:
        raise EngineError("file_locked", f"Failed to access file '{path}': {error}") from None


def _denied(path: str) -> EngineError:
    return EngineError("access_denied", f"Failed to open key '{path}': access is denied")


def _read_key(state: HostState, path: str) -> dict:
    try:
        values = state.registry.values(path)
    except RegistryAccessDenied:
        raise _denied(path) from None
    if values is None:
        return {"path": path, "exists": False, "values": []}
    rows = []
    for value in values:  # in the order the host enumerates them (creation order here)
        raw = _raw_value(value)
        rows.append({"name": value.name, "kind": raw["kind"], "data": raw["data"]})
    return {"path": path, "exists": True, "values": rows}


def _accounts(state: HostState, names: list[str]) -> list[dict]:
    """One batched LSA translation: an unknown name is null, an LSA failure an error."""
    if state.faults.lsa_unavailable:
        raise EngineError(
            "query_failed", "Failed to resolve accounts: The RPC server is unavailable"
        )
    return [{"name": name, "sid": state.accounts.resolve(name)} for name in names]


def _policy_rows(state: HostState, paths: list[str]) -> dict:
    """RSOP_RegistryPolicySetting rows of precedence 1 whose registryKey is a requested key.

    Logging is on by default on every host, workgroup included (the local GPO is reported
    then); with RSoPLogging = 0 the namespace answers with no rows.
    """
    if not state.rsop_available:
        return {"available": False, "reason": "Invalid namespace", "settings": []}
    logging = state.registry.get_value(RSOP_LOGGING_KEY, "RSoPLogging")
    if logging is not None and logging.type == "REG_DWORD" and logging.data == 0:
        return {"available": True, "reason": None, "settings": []}
    rows = []
    for value in state.gpo_values:
        if not any(same_path(value["path"], path) for path in paths):
            continue
        rows.append(
            {
                "key": value["path"][len(ENGINE_PATH) :],
                "name": value["name"],
                "value_type": str(_TYPE_NUMBER[value["type"]]),
                "value": _policy_bytes(value["type"], value["data"]),
                "deleted": False,
                "gpo_id": value["gpo_id"],
                "gpo": value["gpo"],
            }
        )
    return {"available": True, "reason": None, "settings": rows}


def _policy_bytes(reg_type: str, data: object) -> str:
    """The bytes RSoP keeps for a value (strings UTF-16LE with their terminating NUL)."""
    if reg_type in ("REG_SZ", "REG_EXPAND_SZ"):
        return (str(data) + "\0").encode("utf-16-le").hex()
    if reg_type == "REG_MULTI_SZ":
        return ("".join(s + "\0" for s in data) + "\0").encode("utf-16-le").hex()  # type: ignore[attr-defined]
    if reg_type in ("REG_DWORD", "REG_QWORD"):
        return int(data).to_bytes(_width(reg_type), "little").hex()  # type: ignore[call-overload]
    return str(data).lower()


# ----- apply --------------------------------------------------------------------------------


@dataclass
class _Change:
    op: str
    name: str
    path: str | None
    target: dict
    expect: dict
    blobs: dict = field(default_factory=dict)  # a file's bytes by SHA-256, as read or sent


def _parse_change(raw: object, index: int) -> _Change:
    where = f"change {index}"
    op = raw.get("op") if isinstance(raw, dict) else None
    if op == "replace_file":
        try:
            path, data, expect = engine_files._validated(raw)
        except engine_files.FileContractError as error:
            raise _bad(f"Invalid {where}: {error}") from None
        digest = sha256(data)
        return _Change(op, path, path, {"present": True, "sha256": digest}, expect, {digest: data})
    if op not in ("set_value", "delete_value", "set_rule"):
        raise _bad(f"Invalid {where}: unknown op {op!r}")
    _check_shape(raw, op, where)
    expect = raw["expect"]  # type: ignore[index]
    expect_shape = (
        "rule" if op == "set_rule" else "absent" if expect.get("present") is False else "value"
    )
    _check_shape(expect, expect_shape, f"{where} expect")
    if expect_shape != "absent" and expect["present"] is not True:
        raise _bad(f"Invalid {where} expect: present must be true with {expect_shape} fields")
    name = raw["name"]  # type: ignore[index]
    if op == "set_rule":
        if not name or not _PROFILE.fullmatch(raw["profile"]):  # type: ignore[index]
            raise _bad(
                f"Invalid {where}: a rule Name and a profile such as 'Domain, Private' or 'Any'"
            )
        target = {"present": True, "enabled": str(raw["enabled"]), "profile": raw["profile"],  # type: ignore[index]
                  "group": expect["group"]}  # fmt: skip
        return _Change(op, name, None, target, expect)
    path = _subkey(raw["path"], f"{where} path")  # type: ignore[index]
    target = {"present": False}
    if op == "set_value":
        kind, data = raw["kind"], raw["data"]  # type: ignore[index]
        pattern = _KIND_DATA.get(kind, False)
        valid = (
            pattern is not False
            and isinstance(data, list) == (kind == "MultiString")
            and (pattern is None or pattern.fullmatch(data) is not None)
        )
        if not valid:
            raise _bad(f"Invalid {where}: kind {kind!r} does not take the data given")
        target = {"present": True, "kind": kind, "data": data}
    return _Change(op, name, path, target, expect)


def _state_of(state: HostState, change: _Change) -> dict:
    if change.op == "replace_file":
        data = _file_bytes(state, change.path)  # type: ignore[arg-type]
        if data is None:
            return {"present": False}
        change.blobs[sha256(data)] = data
        return {"present": True, "sha256": sha256(data)}
    if change.op == "set_rule":
        found = _rules(state, [change.name], "PersistentStore")
        if not found:
            return {"present": False}
        row = _rule_row(found[0])
        return {"present": True, "enabled": row["enabled"], "profile": row["profile"],
                "group": row["group"]}  # fmt: skip
    try:
        value = state.registry.get_value(change.path, change.name)  # type: ignore[arg-type]
    except RegistryAccessDenied:
        raise _denied(change.path) from None  # type: ignore[arg-type]
    return {"present": False} if value is None else _raw_value(value)


def _same_state(actual: dict, wanted: dict) -> bool:
    """Ordinal, element by element, field by field (Python's == on str is ordinal)."""
    return all(actual.get(f) == wanted.get(f) for f in _STATE_FIELDS)


def _apply(state: HostState, request: object, check_mode: bool, result: dict) -> None:
    _check_shape(request, "apply", "apply request")
    changes = [_parse_change(raw, i) for i, raw in enumerate(request["changes"])]  # type: ignore[index]
    seen = set()
    for change in changes:
        target = (change.op == "set_rule", fold(change.path or ""), fold(change.name))
        if target in seen:
            raise _bad(f"Invalid changes: '{change.name}' is changed twice")
        seen.add(target)
    conflicts = []
    for index, change in enumerate(changes):
        actual = _state_of(state, change)
        if not _same_state(actual, change.expect):
            conflicts.append({"index": index, "actual": actual})
    if conflicts:
        result["conflicts"] = conflicts
        first = changes[conflicts[0]["index"]].name
        raise EngineError(
            "precondition", f"Failed to apply: '{first}' is not as read; nothing was written"
        )
    result["changed"] = bool(changes)
    if check_mode:
        return
    _write_all(state, changes, result)


class _InjectedFailure(Exception):
    pass


def _write_all(state: HostState, changes: list[_Change], result: dict) -> None:
    done: list[_Change] = []
    created: list[str] = []
    limit = state.faults.fail_write_after
    for change in changes:
        try:
            if limit is not None and len(done) == limit:
                _external_changes(state, state.faults.change_before_rollback)
                raise _InjectedFailure(f"write refused by the lab fault fail_write_after={limit}")
            _write(state, change, change.target, created)
            done.append(change)
        except (
            RegistryError,
            _InjectedFailure,
            EngineError,
            engine_files.FileContractError,
        ) as error:
            what = f"Failed to apply change {len(done)} ({change.op} '{change.name}'): {error}"
            kind = getattr(error, "kind", None)
            problems = _undo(state, done, created)
            result.update(
                changed=bool(problems),
                rolled_back=not problems,
                applied=len(done) if problems else 0,
            )
            if not problems:
                raise EngineError(
                    kind if kind in ("file_locked", "precondition") else "write_failed",
                    f"{what}; every earlier change was rolled back",
                ) from None
            raise EngineError(
                "rollback_failed", f"{what}; the host may be partly changed: {'; '.join(problems)}"
            ) from None
    result["applied"] = len(done)


def _write(state: HostState, change: _Change, wanted: dict, created: list[str]) -> None:
    if change.op == "replace_file":
        # Forward from expect to target, or (rollback) back from target to expect.
        now = change.expect if wanted is change.target else change.target
        if wanted["present"]:
            data = change.blobs[wanted["sha256"]]
            engine_files._replace(state.files, change.path, data, now)  # type: ignore[arg-type]
        else:
            state.files.delete(change.path)  # type: ignore[arg-type]
    elif change.op == "set_rule":
        rule = _rules(state, [change.name], "PersistentStore")
        if not rule:
            raise RegistryError(f"No MSFT_NetFirewallRule objects found with Name '{change.name}'")
        profile = wanted["profile"]
        rule[0].enabled = wanted["enabled"] == "True"
        rule[0].profiles = (
            ["domain", "private", "public"]
            if profile == "Any"
            else [p.lower() for p in profile.split(", ")]
        )
        state.firewall_writes += 1
    elif wanted["present"]:
        reg_type, data = _stored(wanted["kind"], wanted["data"])
        created += state.registry.set_value(change.path, change.name, reg_type, data)  # type: ignore[arg-type]
    else:
        state.registry.delete_value(change.path, change.name)  # type: ignore[arg-type]


def _undo(state: HostState, done: list[_Change], created: list[str]) -> list[str]:
    """Compare-and-swap in reverse: restore only what still holds what this run wrote."""
    problems = []
    for change in reversed(done):
        where = f"'{change.name}' ({change.path or 'firewall rule'})"
        try:
            if not _same_state(_state_of(state, change), change.target):
                problems.append(
                    f"{where} was changed by someone else after this run wrote it; left as found"
                )
                continue
            _write(state, change, change.expect, [])
        except (
            RegistryError,
            EngineError,
            FileStoreError,
            engine_files.FileContractError,
        ) as error:
            problems.append(f"restoring {where} failed: {error}")
    for path in reversed(created):  # deepest first; only while empty
        if not state.registry.values(path) and not state.registry.subkeys(path):
            state.registry.delete_key(path)
    return problems


# ----- faults: someone else's writes ----------------------------------------------------------


def _external_changes(state: HostState, pending: list[dict]) -> None:
    """Perform the changes another actor makes (before the apply, or before its rollback)."""
    with state.registry.as_external_actor() as counted:
        for change in pending:
            op = change.get("op")
            if op == "set_value":
                state.registry.set_json_value(
                    change["path"], change["name"], change["type"], change["data"]
                )
            elif op == "delete_value":
                state.registry.delete_value(change["path"], change["name"])
            elif op == "set_rule":
                rule = state.find_rule(change["name"])
                rule.enabled = bool(change["enabled"])
                rule.profiles = list(change.get("profiles", rule.profiles))
                state.external_writes += 1
            else:
                raise ValueError(f"external change: unknown op {op!r}")
    state.external_writes += counted[0]
