"""The host engine `win_ra_state` in Python: docs/engine-contract.md, contract version 1.

`read` reports registry keys, facts, accounts and firewall rules; `apply` checks every
change's `expect` against the host (compare-and-swap), then writes in order and rolls back
in reverse if a write fails. Every result key of an action is present on every path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from winra_lab.firewall import PROFILE_ORDER, RA_GROUP, missing_rule_json, sort_profiles
from winra_lab.hoststate import HostState
from winra_lab.registry import (
    RegistryAccessDenied,
    RegistryError,
    RegValue,
    data_from_json,
    data_to_json,
    fold,
    normalise_path,
)

CONTRACT_VERSION = 1
CONTRACT_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY")
OPTIONS = ("action", "keys", "accounts", "firewall_rules", "changes")
OPS = ("set_value", "delete_value", "set_rule")
RULE_PATH = "FirewallRule"


class EngineError(Exception):
    """Ends an action with `failed: true`; `extra` holds result keys to set."""

    def __init__(self, kind: str, msg: str, **extra: object):
        super().__init__(msg)
        self.kind = kind
        self.msg = msg
        self.extra = extra


def run_engine(state: HostState, args: dict, check_mode: bool) -> dict:
    """Run one `win_ra_state` invocation against `state`; return the module result."""
    args = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    action = args.get("action")
    if action == "read":
        result = {"keys": [], "facts": None, "accounts": [], "firewall_rules": []}
        return _run(result, lambda: _read(state, args))
    if action == "apply":
        result = {"applied": 0, "rolled_back": False, "conflicts": []}
        _external_changes(state)
        return _run(result, lambda: _apply(state, args, check_mode))
    return _run({}, lambda: _fail_bad(f"Unknown action {action!r}: expected 'read' or 'apply'"))


def _run(keys: dict, action) -> dict:
    result = {"changed": False, "contract_version": CONTRACT_VERSION, **keys}
    try:
        result.update(action())
    except EngineError as error:
        result.update(error.extra)
        result.update(failed=True, msg=error.msg, error=error.kind)
    return result


def _fail_bad(msg: str):
    raise EngineError("bad_request", msg)


# ----- validation -------------------------------------------------------------------------


def _check_options(args: dict) -> None:
    unknown = sorted(set(args) - set(OPTIONS))
    if unknown:
        _fail_bad(f"Unsupported parameters: {', '.join(unknown)}")


def _string_list(args: dict, option: str) -> list[str]:
    value = args.get(option)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        _fail_bad(f"Option '{option}' must be a list of strings, got {value!r}")
    return value


def _key_path(path: object, where: str) -> str:
    try:
        return normalise_path(path)  # type: ignore[arg-type]
    except RegistryError as error:
        _fail_bad(f"{where}: {error}")


def _typed_data(reg_type: object, data: object, where: str) -> object:
    if reg_type not in CONTRACT_TYPES:
        _fail_bad(f"{where}: type {reg_type!r} is not one of {', '.join(CONTRACT_TYPES)}")
    try:
        return data_from_json(reg_type, data)  # type: ignore[arg-type]
    except RegistryError as error:
        _fail_bad(f"{where}: {error}")


@dataclass
class _Change:
    op: str
    name: str
    path: str = RULE_PATH
    type: str | None = None
    data: object = None
    enabled: bool | None = None
    profiles: list[str] = field(default_factory=list)
    expect: dict = field(default_factory=dict)  # normalised; value data in stored form

    def label(self) -> str:
        if self.op == "set_rule":
            return f"firewall rule '{self.name}'"
        return f"registry value '{self.path}\\{self.name}'"


def _value_expect(expect: object, where: str) -> dict:
    if not isinstance(expect, dict) or not isinstance(expect.get("present"), bool):
        _fail_bad(f"{where}: 'expect' must be an object with a boolean 'present'")
    if not expect["present"]:
        return {"present": False}
    data = _typed_data(expect.get("type"), expect.get("data"), f"{where} expect")
    return {"present": True, "type": expect["type"], "data": data}


def _profiles(value: object, where: str) -> list[str]:
    if not isinstance(value, list) or not all(
        isinstance(p, str) and p.lower() in PROFILE_ORDER for p in value
    ):
        _fail_bad(f"{where}: profiles must be a list of {', '.join(PROFILE_ORDER)}, got {value!r}")
    return sort_profiles(value)


def _rule_expect(expect: object, where: str) -> dict:
    if not isinstance(expect, dict) or not isinstance(expect.get("enabled"), bool):
        _fail_bad(f"{where}: 'expect' must be an object with a boolean 'enabled' and 'profiles'")
    return {"enabled": expect["enabled"], "profiles": _profiles(expect.get("profiles"), where)}


def _parse_change(raw: object, index: int) -> _Change:
    where = f"changes[{index}]"
    if not isinstance(raw, dict):
        _fail_bad(f"{where} must be an object, got {raw!r}")
    op = raw.get("op")
    if op not in OPS:
        _fail_bad(f"{where}: unknown op {op!r}: expected one of {', '.join(OPS)}")
    if not isinstance(raw.get("name"), str):
        _fail_bad(f"{where}: 'name' must be a string")
    if "expect" not in raw:
        _fail_bad(f"{where}: 'expect' is missing ({op} {raw['name']!r})")
    if op == "set_rule":
        if not isinstance(raw.get("enabled"), bool):
            _fail_bad(f"{where}: 'enabled' must be a boolean")
        return _Change(
            op,
            raw["name"],
            enabled=raw["enabled"],
            profiles=_profiles(raw.get("profiles"), where),
            expect=_rule_expect(raw["expect"], where),
        )
    change = _Change(
        op,
        raw["name"],
        path=_key_path(raw.get("path"), where),
        expect=_value_expect(raw["expect"], where),
    )
    if op == "set_value":
        change.type = raw.get("type")
        change.data = _typed_data(raw.get("type"), raw.get("data"), where)
    return change


def _parse_changes(args: dict) -> list[_Change]:
    changes = args.get("changes")
    if not isinstance(changes, list):
        _fail_bad(f"Option 'changes' must be a list of change objects, got {changes!r}")
    return [_parse_change(raw, i) for i, raw in enumerate(changes)]


# ----- read -------------------------------------------------------------------------------


def _read(state: HostState, args: dict) -> dict:
    _check_options(args)
    paths = [_key_path(p, "keys") for p in _string_list(args, "keys")]
    accounts = _string_list(args, "accounts")
    rule_names = _string_list(args, "firewall_rules")
    return {
        "keys": [_read_key(state, path) for path in paths],
        "facts": dict(state.facts),
        "accounts": [{"name": name, "sid": state.accounts.resolve(name)} for name in accounts],
        "firewall_rules": [_read_rule(state, name) for name in rule_names],
    }


def _read_key(state: HostState, path: str) -> dict:
    try:
        values = state.registry.values(path)
    except RegistryAccessDenied:
        raise EngineError(
            "access_denied", f"Failed to read registry key '{path}': access is denied"
        ) from None
    if values is None:
        return {"path": path, "exists": False, "values": []}
    ordered = sorted(values, key=lambda v: fold(v.name))
    return {"path": path, "exists": True, "values": [v.to_json() for v in ordered]}


def _read_rule(state: HostState, name: str) -> dict:
    rule = state.find_rule(name)
    return rule.to_json() if rule else missing_rule_json(name)


# ----- apply ------------------------------------------------------------------------------


def _apply(state: HostState, args: dict, check_mode: bool) -> dict:
    _check_options(args)
    changes = _parse_changes(args)
    conflicts = [c for change in changes if (c := _conflict(state, change))]
    if conflicts:
        first = conflicts[0]
        raise EngineError(
            "precondition",
            f"Failed to apply changes: '{_where(first)}' is not as read "
            f"(expected {first['expected']}, found {first['actual']}); "
            f"{len(conflicts)} conflict(s), nothing was written",
            conflicts=conflicts,
        )
    if check_mode:
        return {"changed": bool(changes)}
    _write_all(state, changes)
    return {"changed": bool(changes), "applied": len(changes)}


def _where(conflict: dict) -> str:
    if conflict["path"] == RULE_PATH:
        return f"firewall rule {conflict['name']}"
    return f"{conflict['path']}\\{conflict['name']}"


def _value_json(value: RegValue | None) -> dict:
    if value is None:
        return {"present": False}
    return {"present": True, **value.typed_json()}


def _expect_json(expect: dict) -> dict:
    if not expect["present"]:
        return {"present": False}
    return {
        "present": True,
        "type": expect["type"],
        "data": data_to_json(expect["type"], expect["data"]),
    }


def _conflict(state: HostState, change: _Change) -> dict | None:
    """Phase 1 for one change: None when the host holds what `expect` says."""
    if change.op == "set_rule":
        rule = _rule_for(state, change.name)
        actual = {"enabled": rule.enabled, "profiles": sort_profiles(rule.profiles)}
        if actual == change.expect:
            return None
        return {"path": RULE_PATH, "name": change.name, "expected": change.expect, "actual": actual}
    try:
        value = state.registry.get_value(change.path, change.name)
    except RegistryAccessDenied:
        raise EngineError(
            "access_denied", f"Failed to read registry key '{change.path}': access is denied"
        ) from None
    expect = change.expect
    if value is None:
        matches = not expect["present"]
    else:
        matches = (
            expect["present"] and value.type == expect["type"] and value.data == expect["data"]
        )
    if matches:
        return None
    return {
        "path": change.path,
        "name": change.name,
        "expected": _expect_json(expect),
        "actual": _value_json(value),
    }


def _rule_for(state: HostState, name: str):
    rule = state.find_rule(name)
    if rule is None:
        raise EngineError(
            "rule_missing",
            f"Failed to set firewall rule '{name}': no rule with that Name exists on this host "
            "(is the Remote Assistance feature installed?); no rule is ever created",
        )
    if rule.group != RA_GROUP:
        raise EngineError(
            "rule_foreign",
            f"Failed to set firewall rule '{name}': it belongs to group '{rule.group}', "
            f"not to Remote Assistance ({RA_GROUP})",
        )
    return rule


class _InjectedFailure(Exception):
    pass


@dataclass
class _Done:
    change: _Change
    created_keys: list[str]


def _write_all(state: HostState, changes: list[_Change]) -> None:
    """Phase 2: write in order; on a failure undo what was done, in reverse."""
    done: list[_Done] = []
    limit = state.faults.fail_write_after
    for position, change in enumerate(changes, start=1):
        try:
            if limit is not None and len(done) == limit:
                raise _InjectedFailure(f"write refused by the lab fault fail_write_after={limit}")
            done.append(_Done(change, _write(state, change)))
        except (RegistryError, _InjectedFailure) as error:
            _rollback(
                state,
                done,
                f"{_verb(change)} {change.label()} (change {position} of {len(changes)}): {error}",
            )


def _verb(change: _Change) -> str:
    return {"set_value": "Failed to set", "delete_value": "Failed to delete"}.get(
        change.op, "Failed to set"
    )


def _write(state: HostState, change: _Change) -> list[str]:
    if change.op == "set_value":
        return state.registry.set_value(change.path, change.name, change.type, change.data)
    if change.op == "delete_value":
        state.registry.delete_value(change.path, change.name)
        return []
    _set_rule(state, change.name, change.enabled, change.profiles)
    return []


def _set_rule(state: HostState, name: str, enabled: bool, profiles: list[str]) -> None:
    rule = state.find_rule(name)
    rule.enabled = enabled
    rule.profiles = list(profiles)
    state.firewall_writes += 1


def _rollback(state: HostState, done: list[_Done], failure: str) -> None:
    problems = []
    for record in reversed(done):
        try:
            _undo(state, record)
        except RegistryError as error:
            problems.append(f"{record.change.label()}: {error}")
    if problems:
        raise EngineError(
            "rollback_failed",
            f"{failure}; restoring failed too, the host may be partly changed: {'; '.join(problems)}",
            changed=True,
            applied=len(done),
        )
    raise EngineError(
        "write_failed",
        f"{failure}; the {len(done)} change(s) already made were rolled back",
        rolled_back=True,
    )


def _undo(state: HostState, record: _Done) -> None:
    change = record.change
    expect = change.expect
    if change.op == "set_rule":
        _set_rule(state, change.name, expect["enabled"], expect["profiles"])
        return
    if expect["present"]:
        state.registry.set_value(change.path, change.name, expect["type"], expect["data"])
    else:
        state.registry.delete_value(change.path, change.name)
    for path in reversed(record.created_keys):
        if not state.registry.values(path) and not state.registry.subkeys(path):
            state.registry.delete_key(path)


# ----- faults: someone else's writes ----------------------------------------------------------


def _external_changes(state: HostState) -> None:
    """Perform (once) the changes another actor makes between the controller's read and apply."""
    pending, state.faults.change_before_apply = state.faults.change_before_apply, []
    with state.registry.as_external_actor() as counted:
        for change in pending:
            op = change.get("op")
            if op == "set_value":
                data = data_from_json(change["type"], change["data"])
                state.registry.set_value(change["path"], change["name"], change["type"], data)
            elif op == "delete_value":
                state.registry.delete_value(change["path"], change["name"])
            elif op == "set_rule":
                rule = state.find_rule(change["name"])
                rule.enabled = bool(change["enabled"])
                rule.profiles = sort_profiles(change.get("profiles", rule.profiles))
                state.external_writes += 1
            else:
                raise ValueError(f"change_before_apply: unknown op {op!r}")
    state.external_writes += counted[0]
