# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Registry.pol (PReg) files: read and write, byte for byte.

Internal use only. SPEC "Local Group Policy (Registry.pol) facts":

    file    = "PReg" 01 00 00 00 record*
    record  = "[" key NUL ";" value NUL ";" type ";" size ";" data "]"

Brackets, separators, key and value are UTF-16LE; type and size are little-endian 32-bit
numbers; data is `size` raw bytes. A zero-byte file is read as "no policy" and written back
as zero bytes while it holds no records.

Why `write(parse(b)) == b` holds for every file `parse` accepts, so records the collection
does not manage survive unchanged without keeping their original bytes: every field is
delimited (NUL, fixed width or `size`), names decode with `surrogatepass` (so an unpaired
surrogate comes back as the same two bytes) and data stays raw bytes. The property test in
tests/unit/plugins/plugin_utils/test_preg.py checks it on arbitrary input.

Value names that start with `**` are instructions to the registry extension, not values;
`special_kind` names them (matched case-insensitively, as the extension does).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SIGNATURE = b"PReg"
VERSION = 1
HEADER = SIGNATURE + struct.pack("<I", VERSION)

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_MULTI_SZ = 7
REG_QWORD = 11
TYPE_NAMES = {
    REG_NONE: "REG_NONE",
    REG_SZ: "REG_SZ",
    REG_EXPAND_SZ: "REG_EXPAND_SZ",
    REG_BINARY: "REG_BINARY",
    REG_DWORD: "REG_DWORD",
    REG_MULTI_SZ: "REG_MULTI_SZ",
    REG_QWORD: "REG_QWORD",
}
TYPE_CODES = {name: code for code, name in TYPE_NAMES.items()}

_OPEN = "[".encode("utf-16-le")
_CLOSE = "]".encode("utf-16-le")
_SEP = ";".encode("utf-16-le")
_NUL = b"\x00\x00"

# The special value names (prefixes end with '.'); compared case-insensitively.
DEL_PREFIX = "**del."
SOFT_PREFIX = "**soft."
DELVALS = "**delvals."
DELETE_VALUES = "**DeleteValues"
DELETE_KEYS = "**DeleteKeys"
SECURE_KEY = "**SecureKey"


class PolFileError(ValueError):
    """A Registry.pol file that does not parse completely. Never rewrite such a file.

    `source` names the file, `offset` is the byte where reading stopped; the caller adds
    the host.
    """

    def __init__(self, source: str, offset: int, reason: str) -> None:
        self.source = source
        self.offset = offset
        self.reason = reason
        super().__init__(
            f"Failed to read the Registry.pol file '{source}': {reason} at byte offset {offset}"
        )


@dataclass(frozen=True)
class PolRecord:
    """One `[key;value;type;size;data]` record; `data` holds exactly `size` bytes."""

    key: str
    value: str
    type: int
    data: bytes

    def to_bytes(self) -> bytes:
        return b"".join(
            (
                _OPEN,
                _encode_name(self.key),
                _SEP,
                _encode_name(self.value),
                _SEP,
                struct.pack("<I", self.type),
                _SEP,
                struct.pack("<I", len(self.data)),
                _SEP,
                self.data,
                _CLOSE,
            )
        )

    @property
    def special_kind(self) -> str | None:
        """`delete_value`, `soft`, `delete_all_values`, `delete_values`, `delete_keys`,
        `secure_key`, or None for an ordinary value."""
        return special_kind(self.value)

    @property
    def target_name(self) -> str:
        """The value a `**del.` / `**soft.` record is about; the value itself otherwise."""
        folded = self.value.casefold()
        for prefix in (DEL_PREFIX, SOFT_PREFIX):
            if folded.startswith(prefix):
                return self.value[len(prefix) :]
        return self.value

    def same_as(self, other: PolRecord) -> bool:
        """Same key and value name (case-insensitive, as the registry compares), same type
        and data bytes."""
        return (
            self.key.casefold() == other.key.casefold()
            and self.value.casefold() == other.value.casefold()
            and self.type == other.type
            and self.data == other.data
        )


def special_kind(value: str) -> str | None:
    folded = value.casefold()
    if folded.startswith(DEL_PREFIX):
        return "delete_value"
    if folded.startswith(SOFT_PREFIX):
        return "soft"
    exact = {
        DELVALS: "delete_all_values",
        DELETE_VALUES.casefold(): "delete_values",
        DELETE_KEYS.casefold(): "delete_keys",
        SECURE_KEY.casefold(): "secure_key",
    }
    return exact.get(folded)


@dataclass(frozen=True)
class PolFile:
    """The records of one file in file order. `empty` marks a zero-byte file (no header)."""

    records: tuple = ()
    empty: bool = False

    def to_bytes(self) -> bytes:
        if self.empty and not self.records:
            return b""
        return HEADER + b"".join(record.to_bytes() for record in self.records)


def parse(data: bytes, source: str = "Registry.pol") -> PolFile:
    """Every record of a PReg file, or PolFileError naming `source` and the byte offset."""
    if not isinstance(data, bytes | bytearray):
        raise PolFileError(source, 0, "the content is not bytes")
    data = bytes(data)
    if not data:
        return PolFile(records=(), empty=True)
    if len(data) < len(HEADER):
        raise PolFileError(source, 0, f"the file is {len(data)} bytes, shorter than its header")
    if data[:4] != SIGNATURE:
        raise PolFileError(source, 0, f"the signature is {data[:4]!r}, not b'PReg'")
    version = struct.unpack_from("<I", data, 4)[0]
    if version != VERSION:
        raise PolFileError(source, 4, f"the version is {version}, not 1")
    reader = _Reader(data, source, len(HEADER))
    records = []
    while not reader.at_end():
        records.append(reader.record())
    return PolFile(records=tuple(records))


def write(records, *, empty: bool = False) -> bytes:
    """The bytes of a file holding `records` (an iterable of PolRecord) in order."""
    return PolFile(records=tuple(records), empty=empty).to_bytes()


class _Reader:
    def __init__(self, data: bytes, source: str, offset: int) -> None:
        self.data = data
        self.source = source
        self.offset = offset

    def at_end(self) -> bool:
        return self.offset >= len(self.data)

    def fail(self, reason: str, offset: int | None = None):
        raise PolFileError(self.source, self.offset if offset is None else offset, reason)

    def expect(self, token: bytes, what: str) -> None:
        if self.data[self.offset : self.offset + len(token)] != token:
            self.fail(f"expected {what}")
        self.offset += len(token)

    def name(self, what: str) -> str:
        start = self.offset
        pos = start
        while True:
            unit = self.data[pos : pos + 2]
            if len(unit) < 2:
                self.fail(f"the {what} has no terminating NUL", start)
            if unit == _NUL:
                break
            pos += 2
        raw = self.data[start:pos]
        self.offset = pos + 2
        return raw.decode("utf-16-le", "surrogatepass")

    def number(self, what: str) -> int:
        if self.offset + 4 > len(self.data):
            self.fail(f"the file ends inside the {what}")
        value = struct.unpack_from("<I", self.data, self.offset)[0]
        self.offset += 4
        return value

    def record(self) -> PolRecord:
        start = self.offset
        self.expect(_OPEN, "'[' opening a record")
        key = self.name("key")
        self.expect(_SEP, "';' after the key")
        value = self.name("value name")
        self.expect(_SEP, "';' after the value name")
        reg_type = self.number("type")
        self.expect(_SEP, "';' after the type")
        size = self.number("size")
        self.expect(_SEP, "';' after the size")
        if self.offset + size > len(self.data):
            self.fail(
                f"the record that starts at byte {start} declares {size} data bytes;"
                f" only {len(self.data) - self.offset} remain"
            )
        data = self.data[self.offset : self.offset + size]
        self.offset += size
        self.expect(_CLOSE, "']' closing the record")
        return PolRecord(key=key, value=value, type=reg_type, data=data)


def _encode_name(text: str) -> bytes:
    return text.encode("utf-16-le", "surrogatepass") + _NUL


# -- data in the form the engine contract carries (docs/engine-contract.md) -------------------


def encode_data(type_name: str, data: object) -> tuple[int, bytes]:
    """(type code, data bytes) for contract-form data: str for REG_SZ / REG_EXPAND_SZ, int
    for DWORD / QWORD, list of str for REG_MULTI_SZ, lowercase hex for REG_BINARY."""
    if type_name in ("REG_SZ", "REG_EXPAND_SZ"):
        return TYPE_CODES[type_name], _encode_name(str(data))
    if type_name == "REG_DWORD":
        return REG_DWORD, struct.pack("<I", data)
    if type_name == "REG_QWORD":
        return REG_QWORD, struct.pack("<Q", data)
    if type_name == "REG_MULTI_SZ":
        return REG_MULTI_SZ, b"".join(_encode_name(item) for item in data) + _NUL
    if type_name in ("REG_BINARY", "REG_NONE"):
        return TYPE_CODES[type_name], bytes.fromhex(str(data))
    raise ValueError(f"unknown registry type {type_name!r}")


def decode_data(record: PolRecord) -> tuple[str, object]:
    """(type name, contract-form data) the registry holds after the record is applied.

    Strings end at their first NUL, as a reader of the value sees them; an odd trailing
    byte is dropped. A DWORD or QWORD of the wrong size, or an unknown type, reads as
    REG_BINARY of its raw bytes so that nothing raises here.
    """
    code, data = record.type, record.data
    if code in (REG_SZ, REG_EXPAND_SZ):
        return TYPE_NAMES[code], _decode_text(data).split("\x00", 1)[0]
    if code == REG_DWORD and len(data) == 4:
        return "REG_DWORD", struct.unpack("<I", data)[0]
    if code == REG_QWORD and len(data) == 8:
        return "REG_QWORD", struct.unpack("<Q", data)[0]
    if code == REG_MULTI_SZ:
        items = _decode_text(data).split("\x00")
        while items and items[-1] == "":
            items.pop()
        return "REG_MULTI_SZ", items
    if code == REG_NONE:
        return "REG_NONE", data.hex()
    return "REG_BINARY", data.hex()


def _decode_text(data: bytes) -> str:
    return data[: len(data) - len(data) % 2].decode("utf-16-le", "surrogatepass")


def value_record(key: str, name: str, type_name: str, data: object) -> PolRecord:
    code, raw = encode_data(type_name, data)
    return PolRecord(key=key, value=name, type=code, data=raw)


# Group Policy writes its instruction records as REG_SZ holding one space (the registry
# extension ignores the data of `**del.` and `**delvals.`).
_INSTRUCTION_DATA = _encode_name(" ")


def delete_value_record(key: str, name: str) -> PolRecord:
    return PolRecord(key=key, value=DEL_PREFIX + name, type=REG_SZ, data=_INSTRUCTION_DATA)


def delete_all_values_record(key: str) -> PolRecord:
    return PolRecord(key=key, value=DELVALS, type=REG_SZ, data=_INSTRUCTION_DATA)


def name_list(record: PolRecord) -> list[str]:
    """The names a `**DeleteValues` / `**DeleteKeys` record lists (';'-separated REG_SZ)."""
    text = _decode_text(record.data).split("\x00", 1)[0]
    return [name for name in text.split(";") if name]
