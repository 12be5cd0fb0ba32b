"""`ansible.windows.win_reg_stat` on the lab's registry: read-only, the module's documented results.

With `name` the result carries `exists` and, when the value exists, `type`, `value` and
`raw_value`; without it, `exists`, `properties` (value name -> {type, value, raw_value},
the key's default value under "") and `sub_keys`. As the real module returns them: DWORD
and QWORD data as unsigned numbers, binary data as a list of numbers in `value` and of
`0x..` strings in `raw_value`, and REG_EXPAND_SZ expanded in `value` and kept as stored in
`raw_value`. The lab has no process environment, so expansion uses a fixed set of the
variables a Windows 10 host defines (`EXPANDED`); others stay as written, as .NET leaves
unknown names. The lab holds only HKLM: the other hives fail with a clear message.
"""

from __future__ import annotations

import re

from winra_lab.windows.hoststate import HostState
from winra_lab.windows.registry import (
    RegistryAccessDenied,
    RegistryPathError,
    RegValue,
    fold,
    normalise_path,
)

_PATH = re.compile(r"^HK(CC|CR|CU|LM|U):\\", re.IGNORECASE)
_ALIASES = {"key": "path", "entry": "name", "value": "name"}
# Machine-wide variables of a default Windows 10 installation on drive C:.
EXPANDED = {
    "SYSTEMROOT": "C:\\Windows",
    "WINDIR": "C:\\Windows",
    "SYSTEMDRIVE": "C:",
    "PROGRAMFILES": "C:\\Program Files",
    "PROGRAMDATA": "C:\\ProgramData",
}
_VARIABLE = re.compile(r"%([^%]+)%")


class _Fail(Exception):
    pass


def run_reg_stat(state: HostState, args: dict) -> dict:
    """Run one win_reg_stat task against `state`; return the module result. Never writes."""
    result: dict = {"changed": False}
    try:
        path, name = _params(args)
        result.update(_stat(state, path, name))
    except _Fail as error:
        result.update(failed=True, msg=str(error))
    except RegistryPathError as error:
        # Windows would collapse doubled backslashes; the lab refuses them, naming the path.
        result.update(failed=True, msg=f"path: {error}")
    except RegistryAccessDenied:
        result.update(
            failed=True,
            msg="Unhandled exception while executing module: Requested registry access is not allowed.",
        )
    return result


def _params(args: dict) -> tuple[str, str | None]:
    # The real module parses its arguments with the legacy Parse-Args, which ignores
    # options it does not know, so the lab does too.
    params = {_ALIASES.get(k, k): v for k, v in args.items() if not k.startswith("_ansible_")}
    path = params.get("path")
    if path is None or str(path) == "":
        raise _Fail("Get-AnsibleParam: Missing required argument: path")
    name = params.get("name")
    return str(path), None if name is None else str(name)


def _stat(state: HostState, path: str, name: str | None) -> dict:
    if not _PATH.match(path):
        raise _Fail(
            f"path: {path} is not a valid registry path, see module documentation for examples."
        )
    if not path.upper().startswith("HKLM:"):
        raise _Fail(f"path: {path} is in a hive the lab does not emulate (only HKLM:)")
    registry = state.registry
    key = normalise_path(path)
    values = registry.values(key)
    if values is None:
        return {"exists": False}
    if name is not None:
        found = next((v for v in values if fold(v.name) == fold(name)), None)
        return {"exists": False} if found is None else {"exists": True, **_describe(found)}
    properties = {value.name: _describe(value) for value in values}
    # Windows lists subkeys in its own sorted order, whatever order they were created in.
    sub_keys = sorted(registry.subkeys(key) or [], key=fold)
    return {"exists": True, "properties": properties, "sub_keys": sub_keys}


def _describe(value: RegValue) -> dict:
    data = value.data
    if value.type in ("REG_BINARY", "REG_NONE"):
        numbers = list(bytes(data))  # type: ignore[arg-type]
        return {
            "type": value.type,
            "value": numbers,
            "raw_value": [f"0x{b:02x}" for b in numbers],
        }
    if value.type == "REG_MULTI_SZ":
        return {"type": value.type, "value": list(data), "raw_value": list(data)}  # type: ignore[call-overload]
    if value.type == "REG_EXPAND_SZ":
        return {"type": value.type, "value": expand(str(data)), "raw_value": data}
    return {"type": value.type, "value": data, "raw_value": data}


def expand(text: str) -> str:
    """%NAME% -> its value for the variables in EXPANDED (case-insensitive), else unchanged."""
    return _VARIABLE.sub(lambda m: EXPANDED.get(m.group(1).upper(), m.group(0)), text)
