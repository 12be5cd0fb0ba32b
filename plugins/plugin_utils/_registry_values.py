# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry values as the engine contract carries them, and SPEC's comparison rules.

Internal use only. Data is in the contract's JSON form (docs/engine-contract.md):
strings for REG_SZ / REG_EXPAND_SZ (unexpanded), unsigned integers for DWORD / QWORD,
a list of strings for REG_MULTI_SZ, lowercase hex for REG_BINARY.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

REG_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY")
_UINT_MAX = {"REG_DWORD": 0xFFFFFFFF, "REG_QWORD": 0xFFFFFFFFFFFFFFFF}
_HIVE_PREFIXES = ("HKEY_LOCAL_MACHINE\\", "HKLM:\\", "HKLM\\")
# "Registry element size limits" (learn.microsoft.com/windows/win32/sysinfo/
# registry-element-size-limits): a value name holds at most 16,383 characters.
MAX_VALUE_NAME = 16383


@dataclass(frozen=True)
class RegValue:
    name: str
    type: str
    data: object
    # The value as the engine reported it ({present, kind, data}): the compare-and-swap
    # expect of a change. None for values the controller made up.
    raw: dict | None = field(default=None, compare=False)

    def as_json(self) -> dict:
        return {"type": self.type, "data": self.data}


@lru_cache(maxsize=4096)
def normalise_path(path: str) -> str:
    """Return `HKLM:\\<subkey>` without a trailing backslash; reject other hives."""
    text = path.strip()
    for prefix in _HIVE_PREFIXES:
        if text.upper().startswith(prefix.upper()):
            subkey = text[len(prefix) :].strip("\\")
            return "HKLM:\\" + subkey
    raise ValueError(f"registry path {path!r} is not under HKLM")


def ordinal_ignore_case(text: str) -> str:
    """The identity under which Windows compares registry key and value names.

    The registry compares names ordinally, ignoring case by mapping each UTF-16 code unit
    to upper case on its own (RtlUpcaseUnicodeChar), never by Unicode case folding: `STRASSE`
    and `straße` are two names (casefold() would make them one, as `ß` folds to `ss`),
    while `Bob` and `BOB` are one. A character whose upper case is more than one character
    (`ß`, ligatures) has no single-character mapping and stays as it is. Every name
    comparison of this collection (value names, key paths, helpers, firewall rule Names)
    goes through this one function.
    """
    if text.isascii():
        # Every name this collection writes is ASCII; upper() maps it one to one, fast.
        return text.upper()
    return _non_ascii_key(text)


@lru_cache(maxsize=4096)
def _non_ascii_key(text: str) -> str:
    return "".join(_upper_char(char) for char in text)


def _upper_char(char: str) -> str:
    upper = char.upper()
    return upper if len(upper) == 1 else char


@lru_cache(maxsize=4096)
def path_key(path: str) -> str:
    """Key for looking a path up: Windows compares key names case-insensitively."""
    return ordinal_ignore_case(normalise_path(path))


def name_key(name: str) -> str:
    """Key for looking a value name up (see ordinal_ignore_case)."""
    return ordinal_ignore_case(name)


def valid_data(reg_type: str, data: object) -> bool:
    """True when `data` is the contract's JSON form for `reg_type`."""
    if reg_type in ("REG_SZ", "REG_EXPAND_SZ"):
        return isinstance(data, str)
    if reg_type in _UINT_MAX:
        # bool is an int in Python; a YAML `yes` must not become DWORD 1 silently.
        return (
            isinstance(data, int)
            and not isinstance(data, bool)
            and 0 <= data <= _UINT_MAX[reg_type]
        )
    if reg_type == "REG_MULTI_SZ":
        return isinstance(data, list) and all(isinstance(item, str) for item in data)
    if reg_type == "REG_BINARY":
        return isinstance(data, str) and len(data) % 2 == 0 and _is_lower_hex(data)
    return False


def _is_lower_hex(text: str) -> bool:
    return all(char in "0123456789abcdef" for char in text)


def same_value(a: RegValue | None, b: RegValue | None) -> bool:
    """SPEC's comparison: same type and same data (data case-sensitive, numbers as numbers).

    Value names are not compared here: callers find values by case-insensitive name.
    A DWORD 1 is not the string "1", and REG_EXPAND_SZ compares unexpanded, so plain
    equality of type and JSON data is the rule once data is in contract form.
    """
    if a is None or b is None:
        return a is None and b is None
    if a.type != b.type:
        return False
    if a.type in _UINT_MAX:
        return int(a.data) == int(b.data)
    return a.data == b.data


def render(value: RegValue | None) -> str:
    """One diff-friendly text for a value's type and data, or `(absent)`."""
    if value is None:
        return "(absent)"
    if value.type in _UINT_MAX:
        return f"{value.type}:{value.data} (0x{value.data:x})"
    return f"{value.type}:{value.data}"


@dataclass(frozen=True)
class KeySnapshot:
    """A key as `read` returned it."""

    path: str
    exists: bool
    values: tuple = ()

    def get(self, name: str) -> RegValue | None:
        wanted = name_key(name)
        for value in self.values:
            if name_key(value.name) == wanted:
                return value
        return None

    @classmethod
    def from_json(cls, key: dict) -> KeySnapshot:
        values = tuple(
            RegValue(item["name"], item["type"], item["data"], item.get("raw"))
            for item in key.get("values", [])
        )
        return cls(normalise_path(key["path"]), bool(key.get("exists")), values)
