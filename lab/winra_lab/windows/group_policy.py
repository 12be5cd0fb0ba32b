"""The Local Group Policy of an emulated host, and a Group Policy refresh of it.

The machine policy file is `C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol`
(beside it `..\\gpt.ini`) in the host's file store. A refresh applies it to the registry as
the registry client-side extension does, record by record in file order:

    value record      set the value (a record with no value name and no data: create the key)
    **del.<name>      delete that value
    **delvals.        delete every value of the key (the records after it write the new list)
    **DeleteValues    delete the ';'-separated values named in its data
    **DeleteKeys      delete the ';'-separated subkeys named in its data, with their trees
    **soft.<name>     set the value only if it does not exist
    **SecureKey       (permissions only: nothing to do in the lab)

and then removes the values an earlier refresh set that the current file no longer sets:
the lab keeps a copy of the file it last applied (HISTORY_POL, the lab's own stand-in for
the extension's history). A file that does not parse is skipped, as Windows skips it
(event log only): nothing is applied and the history stays.

The lab reads PReg with its own small reader, independent of the collection's codec, so
that a bug in one is caught by the other. Writes are "someone else's" (the Group Policy
service): never counted as module writes.
"""

from __future__ import annotations

import struct

from winra_lab.windows.registry import Registry, RegistryError, fold

MACHINE_POL = "C:\\Windows\\System32\\GroupPolicy\\Machine\\Registry.pol"
GPT_INI = "C:\\Windows\\System32\\GroupPolicy\\gpt.ini"
HISTORY_POL = "C:\\ProgramData\\winra-lab\\gp-history\\Machine\\Registry.pol"

_HEADER = b"PReg\x01\x00\x00\x00"
_TYPES = {
    0: "REG_NONE",
    1: "REG_SZ",
    2: "REG_EXPAND_SZ",
    3: "REG_BINARY",
    4: "REG_DWORD",
    7: "REG_MULTI_SZ",
    11: "REG_QWORD",
}
_CODES = {name: code for code, name in _TYPES.items()}


class PolReadError(ValueError):
    pass


def read_pol(data: bytes) -> list[tuple[str, str, int, bytes]]:
    """(key, value, type, data) per record; an empty file holds none."""
    if not data:
        return []
    if data[:8] != _HEADER:
        raise PolReadError("no PReg version 1 header")
    text_at = 8
    records = []
    while text_at < len(data):
        if data[text_at : text_at + 2] != b"[\x00":
            raise PolReadError(f"no '[' at byte {text_at}")
        key, text_at = _string(data, text_at + 2)
        value, text_at = _string(data, _after_semicolon(data, text_at))
        text_at = _after_semicolon(data, text_at)
        if text_at + 12 > len(data):
            raise PolReadError("file ends inside a record")
        reg_type = struct.unpack_from("<I", data, text_at)[0]
        text_at = _after_semicolon(data, text_at + 4)
        size = struct.unpack_from("<I", data, text_at)[0]
        text_at = _after_semicolon(data, text_at + 4)
        payload = data[text_at : text_at + size]
        if len(payload) != size or data[text_at + size : text_at + size + 2] != b"]\x00":
            raise PolReadError(f"record data or ']' missing at byte {text_at}")
        records.append((key, value, reg_type, payload))
        text_at += size + 2
    return records


def _string(data: bytes, start: int) -> tuple[str, int]:
    end = start
    while data[end : end + 2] != b"\x00\x00":
        if end + 2 > len(data):
            raise PolReadError(f"unterminated string at byte {start}")
        end += 2
    return data[start:end].decode("utf-16-le", "surrogatepass"), end + 2


def _after_semicolon(data: bytes, at: int) -> int:
    if data[at : at + 2] != b";\x00":
        raise PolReadError(f"no ';' at byte {at}")
    return at + 2


def encode_pol(records) -> bytes:
    """A PReg file from (key, value, type name, contract-form data) tuples (for seeding)."""
    out = [_HEADER]
    for key, value, type_name, data in records:
        payload = _encode_data(type_name, data)
        out.append(
            b"[\x00"
            + (key + "\0").encode("utf-16-le")
            + b";\x00"
            + (value + "\0").encode("utf-16-le")
            + b";\x00"
            + struct.pack("<I", _CODES[type_name])
            + b";\x00"
            + struct.pack("<I", len(payload))
            + b";\x00"
            + payload
            + b"]\x00"
        )
    return b"".join(out)


def _encode_data(type_name: str, data) -> bytes:
    if type_name in ("REG_SZ", "REG_EXPAND_SZ"):
        return (data + "\0").encode("utf-16-le")
    if type_name == "REG_DWORD":
        return struct.pack("<I", data)
    if type_name == "REG_QWORD":
        return struct.pack("<Q", data)
    if type_name == "REG_MULTI_SZ":
        return "".join(item + "\0" for item in data).encode("utf-16-le") + b"\x00\x00"
    return bytes.fromhex(data)


def _decode(reg_type: int, payload: bytes):
    """(type name, stored data) as RegSetValueEx would leave it, or None if the lab's
    registry cannot hold that type."""
    name = _TYPES.get(reg_type)
    even = payload[: len(payload) - len(payload) % 2].decode("utf-16-le", "surrogatepass")
    if name in ("REG_SZ", "REG_EXPAND_SZ"):
        return name, even.split("\x00", 1)[0]
    if name == "REG_DWORD" and len(payload) == 4:
        return name, struct.unpack("<I", payload)[0]
    if name == "REG_QWORD" and len(payload) == 8:
        return name, struct.unpack("<Q", payload)[0]
    if name == "REG_MULTI_SZ":
        items = even.split("\x00")
        while items and items[-1] == "":
            items.pop()
        return name, items
    if name in ("REG_BINARY", "REG_NONE"):
        return name, payload
    return None


def _names(payload: bytes) -> list[str]:
    text = payload[: len(payload) - len(payload) % 2].decode("utf-16-le", "surrogatepass")
    return [name for name in text.split("\x00", 1)[0].split(";") if name]


def _path(key: str) -> str:
    return "HKLM:\\" + key.strip("\\")


class _Applier:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.set: dict[tuple[str, str], tuple[str, str]] = {}  # folded -> (path, name)
        self.skipped: list[str] = []

    def apply(self, key: str, value: str, reg_type: int, payload: bytes) -> None:
        path = _path(key)
        lowered = value.lower()
        registry = self.registry
        if lowered.startswith("**del."):
            registry.delete_value(path, value[6:])
        elif lowered == "**delvals.":
            for existing in registry.values(path) or []:
                registry.delete_value(path, existing.name)
        elif lowered == "**deletevalues":
            for name in _names(payload):
                registry.delete_value(path, name)
        elif lowered == "**deletekeys":
            for name in _names(payload):
                registry.delete_key_tree(f"{path}\\{name}")
        elif lowered == "**securekey":
            pass
        elif lowered.startswith("**soft."):
            name = value[7:]
            if registry.get_value(path, name) is None:
                self._set(path, name, reg_type, payload)
        elif value == "" and reg_type == 0 and not payload:
            registry.create_key(path)
        else:
            self._set(path, value, reg_type, payload)

    def _set(self, path: str, name: str, reg_type: int, payload: bytes) -> None:
        decoded = _decode(reg_type, payload)
        if decoded is None:
            self.skipped.append(f"{path}\\{name}: type {reg_type} with {len(payload)} bytes")
            return
        self.registry.set_value(path, name, *decoded)
        self.set[(fold(path), fold(name))] = (path, name)


def _set_by(records) -> dict[tuple[str, str], tuple[str, str]]:
    """The values a file sets (ordinary and soft records), folded -> (path, name)."""
    result = {}
    for key, value, reg_type, _payload in records:
        lowered = value.lower()
        if lowered.startswith("**soft."):
            value = value[7:]
        elif lowered.startswith("**") or (value == "" and reg_type == 0):
            continue
        result[(fold(_path(key)), fold(value))] = (_path(key), value)
    return result


def refresh_local_policy(state) -> dict:
    """Apply the machine Registry.pol of `state` (a HostState) to its registry."""
    files, registry = state.files, state.registry
    current = files.peek(MACHINE_POL)
    try:
        records = read_pol(current or b"")
    except PolReadError as exc:
        return {"local_policy": "skipped", "reason": f"Registry.pol does not parse: {exc}"}
    try:
        previous = _set_by(read_pol(files.peek(HISTORY_POL) or b""))
    except PolReadError:
        previous = {}
    applier = _Applier(registry)
    now_set = _set_by(records)
    with registry.as_external_actor() as written:
        try:
            for record in records:
                applier.apply(*record)
            for folded, (path, name) in previous.items():
                if folded not in now_set:
                    registry.delete_value(path, name)
        except RegistryError as exc:
            return {"local_policy": "failed", "reason": str(exc)}
    files.seed(HISTORY_POL, current)
    return {
        "local_policy": "applied" if current is not None else "none",
        "records": len(records),
        "registry_writes": written[0],
        "skipped": applier.skipped,
    }
