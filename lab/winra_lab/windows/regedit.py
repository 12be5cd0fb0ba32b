"""`ansible.windows.win_regedit` on the lab's registry: the same options, results and diff.

The lab holds only HKLM, and it cannot load hive files (`hive`); both are refused with a
clear message. Data conversion follows the real module: DWORD/QWORD data may be a number or
a decimal or `0x` hex string, negative numbers are stored as their two's complement, binary
data may be a list of bytes or `hex:be,ef` text, and multistring comparison is
case-insensitive (the real module compares lists with PowerShell's Compare-Object).
"""

from __future__ import annotations

import re

from winra_lab.windows.hoststate import HostState
from winra_lab.windows.registry import ROOT, RegistryAccessDenied, RegistryError, normalise_path

# win_regedit's `type` choices, in its documented order, and the registry type of each.
_REG_TYPE = {
    "none": "REG_NONE",
    "binary": "REG_BINARY",
    "dword": "REG_DWORD",
    "expandstring": "REG_EXPAND_SZ",
    "multistring": "REG_MULTI_SZ",
    "string": "REG_SZ",
    "qword": "REG_QWORD",
}
TYPES = tuple(_REG_TYPE)
# How .NET's RegistryValueKind names each type in the diff.
_KIND_NAME = {
    "REG_NONE": "None",
    "REG_BINARY": "Binary",
    "REG_DWORD": "DWord",
    "REG_EXPAND_SZ": "ExpandString",
    "REG_MULTI_SZ": "MultiString",
    "REG_SZ": "String",
    "REG_QWORD": "QWord",
}
_ALIASES = {"key": "path", "entry": "name", "value": "name", "datatype": "type"}
_OPTIONS = ("path", "name", "data", "type", "state", "delete_key", "hive")
_PS_PATH = re.compile(r"^HK(CC|CR|CU|LM|U):\\", re.IGNORECASE)
_DEFAULT_TYPE_WARNING = (
    "the data type when name is not specified can only be 'string', "
    "the type has automatically been converted"
)


class _Fail(Exception):
    pass


def run_regedit(state: HostState, args: dict, check_mode: bool, diff: bool) -> dict:
    """Run one win_regedit task against `state`; return the module result."""
    result: dict = {"changed": False, "data_changed": False, "data_type_changed": False}
    run = _Run(state, result, check_mode)
    try:
        run.main(_params(args))
    except _Fail as error:
        result.update(failed=True, msg=str(error))
    except RegistryAccessDenied:
        result.update(
            failed=True,
            msg="Unhandled exception while executing module: Requested registry access is not allowed.",
        )
    else:
        if diff:
            result["diff"] = {"before": run.before, "after": run.after}
    if run.warnings:
        result["warnings"] = run.warnings
    return result


# ----- options ------------------------------------------------------------------------------


def _params(args: dict) -> dict:
    given = {k: v for k, v in args.items() if not k.startswith("_ansible_")}
    params: dict = {}
    for key, value in given.items():
        option = _ALIASES.get(key, key)
        if option not in _OPTIONS:
            raise _Fail(
                f"Unsupported parameters for (win_regedit) module: {key}. "
                f"Supported parameters include: {', '.join(sorted((*_OPTIONS, *_ALIASES)))}"
            )
        params[option] = value
    if params.get("path") is None:
        raise _Fail("missing required arguments: path")
    params["path"] = str(params["path"])
    if params.get("name") is not None:
        params["name"] = str(params["name"])
    params["type"] = params.get("type") or "string"
    params["state"] = params.get("state") or "present"
    _choice(params, "type", TYPES)
    _choice(params, "state", ("present", "absent"))
    params["delete_key"] = _boolean(params.get("delete_key", True))
    return params


def _choice(params: dict, option: str, choices: tuple[str, ...]) -> None:
    if params[option] not in choices:
        raise _Fail(
            f"value of {option} must be one of: {', '.join(choices)}. "
            f"Got no match for: {params[option]}"
        )


def _boolean(value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "on", "1", "y"):
        return True
    if text in ("no", "false", "off", "0", "n"):
        return False
    raise _Fail(f"argument for delete_key is of type {type(value).__name__} and we were unable to "
                "convert to bool")  # fmt: skip


# ----- data conversion (what the real module does before touching the registry) ---------------


def _to_unsigned(value: object, bits: int) -> int:
    kind = "dword" if bits == 32 else "qword"
    if isinstance(value, str):
        text = value.strip()
        try:
            number = int(text[2:], 16) if text.lower().startswith("0x") else int(text, 10)
        except ValueError:
            number = -1
        if number < 0:
            raise _Fail(f'Cannot convert value "{value}" to type "System.UInt64". '
                        "Error: \"Input string was not in a correct format.\"")  # fmt: skip
    elif isinstance(value, bool | int | float):
        number = round(value)
    else:
        raise _Fail(f"cannot convert {kind} data {value!r} to a number")
    if number > 2**bits - 1:
        raise _Fail(f"data cannot be larger than 0x{'f' * (bits // 4)} when type is {kind}")
    if number < -(2 ** (bits - 1)):
        raise _Fail(f"data {number} is out of range for a signed {bits}-bit {kind}")
    return number & (2**bits - 1)  # negative numbers are stored as two's complement


def _hex_text_to_bytes(text: str) -> bytes:
    """`hex:be,ef`, `be:ef`, `beef` (as `reg.exe export` writes binary data) -> bytes."""
    cleaned = re.sub(r"[^a-f0-9\\,x\-:]", "", re.sub(r"^hex:", "", text.lower()))
    cleaned = cleaned.replace(",", ":")
    try:
        if not cleaned:
            return b""
        if len(cleaned) == 1:
            return bytes([int(cleaned, 16)])
        if ":" in cleaned:
            return bytes(_byte(part) for part in re.split(r":+", cleaned))
        if len(cleaned) % 2 == 0:
            return bytes(int(cleaned[i : i + 2], 16) for i in range(0, len(cleaned), 2))
    except ValueError as error:
        raise _Fail(f"cannot convert binary data '{text}' to a byte array: {error}") from None
    return b""  # an odd number of digits without separators converts to nothing


def _byte(value: object) -> int:
    if isinstance(value, str):
        text = value.strip().lower()
        number = int(text[2:] if text.startswith("0x") else text, 16)
    elif isinstance(value, int):
        number = value
    else:
        raise ValueError(f"{value!r} is not a byte")
    if not 0 <= number <= 255:
        raise ValueError(f"{number} is not a byte")
    return number


def _list_byte(value: object) -> int:
    # A YAML list of bytes holds numbers; text items are read as PowerShell reads "0xbe" or "190".
    if isinstance(value, str) and not value.strip().lower().startswith("0x"):
        return _byte(int(value))
    return _byte(value)


def _convert(reg_type: str, data: object, name: str | None) -> object:
    if reg_type in ("REG_BINARY", "REG_NONE"):
        if data is None:
            data = ""
        if isinstance(data, str):
            return _hex_text_to_bytes(data)
        if isinstance(data, int) and not isinstance(data, bool):
            if data > 255 or data < 0:
                raise _Fail(
                    f"cannot convert binary data '{data}' to byte array, please specify this value "
                    "as a yaml byte array or a comma separated hex value string"
                )
            return bytes([data])
        if isinstance(data, list):
            try:
                return bytes(_list_byte(item) for item in data)
            except ValueError as error:
                raise _Fail(
                    f"cannot convert binary data {data!r} to a byte array: {error}"
                ) from None
        raise _Fail(f"cannot convert binary data {data!r} to a byte array")
    if reg_type in ("REG_DWORD", "REG_QWORD"):
        return _to_unsigned(0 if data is None else data, 32 if reg_type == "REG_DWORD" else 64)
    if reg_type == "REG_MULTI_SZ":
        if data is None:
            return []
        items = data if isinstance(data, list) else [data]
        return [_text(item) for item in items]
    if data is None:
        # The default value with no data only ensures the key; a named value becomes "".
        return "" if name else None
    if isinstance(data, list | dict):
        raise _Fail(f"cannot store {type(data).__name__} data {data!r} as a {reg_type} value")
    return _text(data)


def _text(value: object) -> str:
    """How .NET's ToString() renders a scalar from the module arguments."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# ----- comparison and diff --------------------------------------------------------------------


def _differs(existing: object, new: object) -> bool:
    """The real module's comparison: arrays item by item (case-insensitive), scalars exactly."""
    if isinstance(existing, list | bytes):
        new_items = list(new) if isinstance(new, list | bytes) else [new]
        old_items = list(existing)
        if len(old_items) != len(new_items):
            return True
        return any(
            str(a).casefold() != str(b).casefold()
            for a, b in zip(old_items, new_items, strict=True)
        )
    if isinstance(existing, str):
        return existing != (_text(new) if not isinstance(new, list | bytes) else new)
    if isinstance(new, str):
        try:
            return existing != _to_unsigned(new, 64)
        except _Fail:
            return True
    return existing != new


def _diff_value(reg_type: str, data: object) -> dict:
    if reg_type in ("REG_BINARY", "REG_NONE"):
        value: object = [f"0x{b:02x}" for b in data]  # type: ignore[union-attr]
    elif reg_type == "REG_DWORD":
        value = f"0x{data:08x}"
    elif reg_type == "REG_QWORD":
        value = f"0x{data:016x}"
    else:
        value = list(data) if isinstance(data, list) else data
    return {"type": _KIND_NAME[reg_type], "value": value}


# ----- the module ---------------------------------------------------------------------------


class _Run:
    def __init__(self, state: HostState, result: dict, check_mode: bool):
        self.registry = state.registry
        self.result = result
        self.check_mode = check_mode
        self.warnings: list[str] = []
        self.before: object = ""
        self.after: object = ""

    def main(self, params: dict) -> None:
        name = params.get("name")
        reg_type = _REG_TYPE[params["type"]]
        if name is None and reg_type != "REG_SZ":
            self.warnings.append(_DEFAULT_TYPE_WARNING)
            reg_type = "REG_SZ"
        print_path = params["path"]
        if params.get("hive"):
            raise _Fail(
                f"hive: the lab cannot load registry hive files ('{params['hive']}'); "
                "use a path under HKLM:\\ instead"
            )
        if not _PS_PATH.match(print_path):
            raise _Fail(
                f"path: {print_path} is not a valid powershell path, see module documentation for examples."
            )
        if not print_path.upper().startswith("HKLM:"):
            raise _Fail(f"path: {print_path} is in a hive the lab does not emulate (only HKLM:)")
        path = normalise_path(print_path)
        name = name or ""  # "" and no name both mean the key's (Default) value
        if params["state"] == "present":
            self.present(
                print_path, path, name, _convert(reg_type, params.get("data"), name), reg_type
            )
        else:
            self.absent(print_path, path, name, params["delete_key"])

    def _write(self, action: str, what: str, print_path: str, call) -> None:
        if self.check_mode:
            return
        try:
            call()
        except RegistryAccessDenied:
            raise
        except RegistryError as error:
            raise _Fail(f"failed to {action} {what} at {print_path}: {error}") from None

    def present(self, print_path: str, path: str, name: str, data: object, reg_type: str) -> None:
        if not self.registry.key_exists(path):
            self._write(
                "create", "registry key", print_path, lambda: self.registry.create_key(path)
            )
            self.result["changed"] = True
            self.before, self.after = {}, {print_path: {}}
            if self.check_mode:
                return  # the key does not exist yet, so there is nothing to compare
        else:
            self.before, self.after = {print_path: {}}, {print_path: {}}
        if data is None:
            return
        existing = self.registry.get_value(path, name)
        what = f"registry property '{name}'"
        if existing is None:
            self._write(
                "create",
                what,
                print_path,
                lambda: self.registry.set_value(path, name, reg_type, data),
            )
            self.result["changed"] = True
            self.after[print_path][name] = _diff_value(reg_type, data)
            return
        mismatch = _differs(existing.data, data)
        type_changed = existing.type != reg_type
        self.result["data_type_changed"] = type_changed
        self.result["data_changed"] = mismatch
        old_diff = _diff_value(existing.type, existing.data)
        if not (type_changed or mismatch):
            self.before[print_path][name] = old_diff
            self.after[print_path][name] = old_diff
            return
        self._write(
            "change", what, print_path, lambda: self.registry.set_value(path, name, reg_type, data)
        )
        self.result["changed"] = True
        self.before[print_path][name] = old_diff
        self.after[print_path][name] = _diff_value(reg_type, data)

    def absent(self, print_path: str, path: str, name: str, delete_key: bool) -> None:
        if not self.registry.key_exists(path):
            return
        if delete_key and not name:
            if path == ROOT:
                raise _Fail(
                    f"failed to delete registry key at {print_path}: the hive root cannot be deleted"
                )
            self._write(
                "delete", "registry key", print_path, lambda: self.registry.delete_key_tree(path)
            )
            self.result["changed"] = True
            self.before, self.after = {print_path: {}}, {}
            return
        existing = self.registry.get_value(path, name)
        if existing is None:
            return
        what = f"registry property '{name}'"
        self._write("delete", what, print_path, lambda: self.registry.delete_value(path, name))
        self.result["changed"] = True
        self.before = {print_path: {name: _diff_value(existing.type, existing.data)}}
        self.after = {print_path: {}}
