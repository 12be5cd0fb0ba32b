"""The host engine `win_ra_state` in Python: docs/engine-contract.md, contract version 1.

`read` reports registry keys, facts, accounts and firewall rules; `apply` checks every
change's `expect` against the host (compare-and-swap), then writes in order and rolls back
in reverse if a write fails. Every result key of an action is present on every path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from winra_lab.windows import engine_files
from winra_lab.windows.firewall import PROFILE_ORDER, RA_GROUP, missing_rule_json, sort_profiles
from winra_lab.windows.hoststate import HostState
from winra_lab.windows.registry import (
    ROOT,
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
OPTIONS = ("action", "keys", "accounts", "firewall_rules", "policy_sources", "changes")
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
    if engine_files.wants_files(args):  # docs/engine-contract-files.md
        return engine_files.run_with_files(state, args, check_mode, run_engine)
    try:
        args = _argument_spec(args)
    except _SpecFailure as failure:
        return {"changed": False, "failed": True, "msg": str(failure)}
    action = args["action"]
    if action == "read":
        result = {
            "keys": [],
            "facts": None,
            "accounts": [],
            "firewall_rules": [],
            "policy_sources": _no_policy_sources(),
        }
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


class _SpecFailure(Exception):
    """Refused by Ansible's argument-spec validation, before the engine runs (no `error`)."""


def _argument_spec(args: dict) -> dict:
    """What Ansible.Basic makes of the module args with win_ra_state.ps1's `$spec`."""
    given = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    unknown = sorted(set(given) - set(OPTIONS))
    if unknown:
        raise _SpecFailure(
            f"Unsupported parameters for (win_ra_state) module: {', '.join(unknown)}. "
            f"Supported parameters include: {', '.join(sorted(OPTIONS))}"
        )
    if given.get("action") is None:
        raise _SpecFailure("missing required arguments: action")
    params = {"action": _as_str(given["action"], "action")}
    for option in ("keys", "accounts", "firewall_rules"):
        params[option] = [_as_str(v, option) for v in _as_list(given.get(option), option)]
    params["policy_sources"] = _as_bool(given.get("policy_sources", False), "policy_sources")
    params["changes"] = _as_list(given.get("changes"), "changes")
    for change in params["changes"]:
        if not isinstance(change, dict):
            raise _SpecFailure(f"argument for changes is of type {type(change).__name__} and we were "
                               "unable to convert to dict")  # fmt: skip
    return params


def _as_list(value: object, option: str) -> list:
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, str):
        return value.split(",")  # as Ansible converts a string to a list
    if isinstance(value, dict):
        raise _SpecFailure(
            f"argument for {option} is of type dict and we were unable to convert to list"
        )
    return [value]


_TRUE = {"yes", "on", "1", "true", "y", "t"}
_FALSE = {"no", "off", "0", "false", "n", "f"}


def _as_bool(value: object, option: str) -> bool:
    """Ansible's boolean conversion: bools, 0/1 and the usual yes/no words."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower() if isinstance(value, str | int) else None
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise _SpecFailure(
        f"argument for {option} is of type {type(value).__name__} and we were unable to convert to bool"
    )


def _as_str(value: object, option: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int | float):
        return str(value)
    raise _SpecFailure(
        f"argument for {option} is of type {type(value).__name__} and we were unable to convert to str"
    )


def _key_path(path: object, where: str) -> str:
    try:
        normal = normalise_path(path)  # type: ignore[arg-type]
    except RegistryError as error:
        _fail_bad(f"{where}: {error}")
    if normal == ROOT:
        _fail_bad(f"{where}: key path {path!r} names no key below HKLM:\\")
    return normal


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


FIELDS = {
    "set_value": {"op", "path", "name", "type", "data", "expect"},
    "delete_value": {"op", "path", "name", "expect"},
    "set_rule": {"op", "name", "enabled", "profiles", "expect"},
}


def _exact_fields(raw: dict, fields: set, where: str) -> None:
    missing, unknown = sorted(fields - set(raw)), sorted(set(raw) - fields)
    if missing:
        _fail_bad(f"{where}: missing field(s) {', '.join(missing)}")
    if unknown:
        _fail_bad(f"{where}: unknown field(s) {', '.join(unknown)}")


def _value_expect(expect: object, where: str) -> dict:
    where = f"{where} expect"
    if not isinstance(expect, dict) or not isinstance(expect.get("present"), bool):
        _fail_bad(f"{where}: must be an object with a boolean 'present'")
    if not expect["present"]:
        _exact_fields(expect, {"present"}, where)
        return {"present": False}
    _exact_fields(expect, {"present", "type", "data"}, where)
    data = _typed_data(expect["type"], expect["data"], where)
    return {"present": True, "type": expect["type"], "data": data}


def _profiles(value: object, where: str) -> list[str]:
    valid = (
        isinstance(value, list)
        and value
        and all(isinstance(p, str) and p in PROFILE_ORDER for p in value)
        and len(set(value)) == len(value)
    )
    if not valid:
        _fail_bad(
            f"{where}: profiles must be a non-empty list of distinct {', '.join(PROFILE_ORDER)}, got {value!r}"
        )
    return sort_profiles(value)


def _rule_expect(expect: object, where: str) -> dict:
    where = f"{where} expect"
    if not isinstance(expect, dict):
        _fail_bad(f"{where}: must be an object with 'enabled' and 'profiles'")
    _exact_fields(expect, {"enabled", "profiles"}, where)
    if not isinstance(expect["enabled"], bool):
        _fail_bad(f"{where}: 'enabled' must be a boolean")
    return {
        "enabled": expect["enabled"],
        "profiles": _profiles(expect["profiles"], where),
    }


def _parse_change(raw: dict, index: int) -> _Change:
    where = f"changes[{index}]"
    op = raw.get("op")
    if op not in OPS:
        _fail_bad(f"{where}: unknown op {op!r}: expected one of {', '.join(OPS)}")
    _exact_fields(raw, FIELDS[op], where)
    if not isinstance(raw["name"], str):
        _fail_bad(f"{where}: 'name' must be a string")
    if op == "set_rule":
        if not raw["name"]:
            _fail_bad(f"{where}: a rule name must not be empty")
        if not isinstance(raw["enabled"], bool):
            _fail_bad(f"{where}: 'enabled' must be a boolean")
        return _Change(
            op,
            raw["name"],
            enabled=raw["enabled"],
            profiles=_profiles(raw["profiles"], where),
            expect=_rule_expect(raw["expect"], where),
        )
    change = _Change(op, raw["name"], path=_key_path(raw["path"], where))
    if op == "set_value":
        change.type = raw["type"]
        change.data = _typed_data(raw["type"], raw["data"], where)
    change.expect = _value_expect(raw["expect"], where)
    return change


def _target(change: _Change) -> tuple:
    if change.op == "set_rule":
        return ("rule", change.name.casefold())
    return ("value", fold(change.path), fold(change.name))


def _parse_changes(args: dict) -> list[_Change]:
    changes = [_parse_change(raw, i) for i, raw in enumerate(args["changes"])]
    seen: set[tuple] = set()
    for index, change in enumerate(changes):
        if _target(change) in seen:
            _fail_bad(
                f"changes[{index}]: a second change of {change.label()}; one change per target"
            )
        seen.add(_target(change))
    return changes


# ----- read -------------------------------------------------------------------------------


def _read(state: HostState, args: dict) -> dict:
    paths = [_key_path(p, "keys") for p in args["keys"]]
    return {
        "keys": [_read_key(state, path) for path in paths],
        "facts": dict(state.facts),
        "accounts": [
            {"name": name, "sid": state.accounts.resolve(name)} for name in args["accounts"]
        ],
        "firewall_rules": [_read_rule(state, name) for name in args["firewall_rules"]],
        "policy_sources": _policy_sources(state, paths)
        if args["policy_sources"]
        else _no_policy_sources(),
    }


def _no_policy_sources() -> dict:
    return {"available": False, "values": []}


def _policy_sources(state: HostState, paths: list[str]) -> dict:
    """What the Resultant Set of Policy says a GPO sets under the requested keys.

    RSoP is logged on domain members only, so a workgroup host has none (available false).
    """
    if not state.facts.get("domain_joined"):
        return _no_policy_sources()
    values, seen = [], set()
    for path in paths:
        if fold(path) in seen:
            continue
        seen.add(fold(path))
        under = [v for v in state.gpo_values if fold(v["path"]) == fold(path)]
        for value in sorted(under, key=lambda v: _ordinal_ignore_case(v["name"])):
            values.append({**value, "path": path})
    return {"available": True, "values": values}


def _ordinal_ignore_case(name: str) -> bytes:
    # .NET StringComparer.OrdinalIgnoreCase: upper-cased UTF-16 code units, compared in order.
    return fold(name).encode("utf-16-be")


def _contract_value(value: RegValue) -> dict:
    """A value as the contract reports it; types outside the table are REG_OTHER."""
    if value.type not in CONTRACT_TYPES:
        return {"name": value.name, "type": "REG_OTHER", "data": None}
    return value.to_json()


def _read_denied(path: str) -> EngineError:
    return EngineError("access_denied", f"Failed to read registry key '{path}': access is denied")


def _read_key(state: HostState, path: str) -> dict:
    try:
        values = state.registry.values(path)
    except RegistryAccessDenied:
        raise _read_denied(path) from None
    if values is None:
        return {"path": path, "exists": False, "values": []}
    ordered = sorted(values, key=lambda v: _ordinal_ignore_case(v.name))
    return {"path": path, "exists": True, "values": [_contract_value(v) for v in ordered]}


def _read_rule(state: HostState, name: str) -> dict:
    rule = state.find_rule(name)
    return rule.to_json() if rule else missing_rule_json(name)


# ----- apply ------------------------------------------------------------------------------


def _apply(state: HostState, args: dict, check_mode: bool) -> dict:
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
    reported = _contract_value(value)
    return {"present": True, "type": reported["type"], "data": reported["data"]}


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
        raise _read_denied(change.path) from None
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
    if (rule.group or "").casefold() != RA_GROUP.casefold():
        raise EngineError(
            "rule_foreign",
            f"Failed to set firewall rule '{name}': it belongs to group '{rule.group}', "
            f"not to Remote Assistance ({RA_GROUP})",
        )
    return rule


class _InjectedFailure(Exception):
    pass


def _write_all(state: HostState, changes: list[_Change]) -> None:
    """Phase 2: write in order; on a failure undo what was done, in reverse."""
    done: list[_Change] = []
    created: list[str] = []  # keys this apply created, in creation order
    limit = state.faults.fail_write_after
    for position, change in enumerate(changes, start=1):
        try:
            if limit is not None and len(done) == limit:
                raise _InjectedFailure(f"write refused by the lab fault fail_write_after={limit}")
            _write(state, change, created)
            done.append(change)
        except (RegistryError, _InjectedFailure) as error:
            where = f"{_verb(change)} {change.label()} (change {position} of {len(changes)})"
            _rollback(state, done, created, f"{where}: {error}")


def _verb(change: _Change) -> str:
    return "Failed to delete" if change.op == "delete_value" else "Failed to set"


def _write(state: HostState, change: _Change, created: list[str]) -> None:
    if change.op == "set_value":
        created += state.registry.set_value(change.path, change.name, change.type, change.data)
    elif change.op == "delete_value":
        state.registry.delete_value(change.path, change.name)
    else:
        _set_rule(state, change.name, change.enabled, change.profiles)


def _set_rule(state: HostState, name: str, enabled: bool, profiles: list[str]) -> None:
    rule = state.find_rule(name)
    rule.enabled = enabled
    rule.profiles = list(profiles)
    state.firewall_writes += 1


def _rollback(state: HostState, done: list[_Change], created: list[str], failure: str) -> None:
    """Restore every `expect` in reverse order, then remove the keys this apply created."""
    problems = []
    for change in reversed(done):
        try:
            _undo(state, change)
        except RegistryError as error:
            problems.append(f"{change.label()}: {error}")
    for path in sorted(created, key=lambda p: p.count("\\"), reverse=True):  # deepest first
        try:
            if not state.registry.values(path) and not state.registry.subkeys(path):
                state.registry.delete_key(path)
        except RegistryError as error:
            problems.append(f"registry key '{path}': {error}")
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


def _undo(state: HostState, change: _Change) -> None:
    expect = change.expect
    if change.op == "set_rule":
        _set_rule(state, change.name, expect["enabled"], expect["profiles"])
    elif expect["present"]:
        state.registry.set_value(change.path, change.name, expect["type"], expect["data"])
    else:
        state.registry.delete_value(change.path, change.name)


# ----- faults: someone else's writes ----------------------------------------------------------


def _external_changes(state: HostState) -> None:
    """Perform (once) the changes another actor makes between the controller's read and apply."""
    pending, state.faults.change_before_apply = state.faults.change_before_apply, []
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
                rule.profiles = sort_profiles(change.get("profiles", rule.profiles))
                state.external_writes += 1
            else:
                raise ValueError(f"change_before_apply: unknown op {op!r}")
    state.external_writes += counted[0]
