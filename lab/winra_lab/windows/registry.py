"""An in-memory HKLM registry with Windows semantics.

Key and value names compare case-insensitively and keep the case they were created with.
Data is type-checked per registry type, so a DWORD can never hold -1 or a string, and
REG_EXPAND_SZ is stored exactly as written (never expanded). Every successful write (a value
set or deleted, a key created or removed) increments `writes`; reads never do.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

ROOT = "HKLM:\\"

# Spellings of HKEY_LOCAL_MACHINE accepted on input (any case); everything else is another hive.
_HIVE_PREFIXES = ("hkey_local_machine", "hklm:", "hklm")

STRING_TYPES = ("REG_SZ", "REG_EXPAND_SZ")
BYTES_TYPES = ("REG_BINARY", "REG_NONE")
REG_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", *BYTES_TYPES)
DWORD_MAX = 2**32 - 1
QWORD_MAX = 2**64 - 1


class RegistryError(Exception):
    """Base class: a registry operation was refused."""


class RegistryPathError(RegistryError, ValueError):
    """The path is not an HKLM key path."""


class RegistryTypeError(RegistryError, ValueError):
    """The type is unknown or the data does not fit it."""


class RegistryAccessDenied(RegistryError):
    """The key (or one of its ancestors) is on the deny list."""

    def __init__(self, path: str):
        super().__init__(f"Access to the registry key '{path}' is denied.")
        self.path = path


class RegistryKeyError(RegistryError):
    """A key operation cannot be done (missing key, key not empty, the hive root)."""


def fold(name: str) -> str:
    """Case-fold a key or value name the way the registry compares them.

    Windows upper-cases character by character, so a character whose upper case is longer
    (German sharp s) stays as it is instead of growing into two.
    """
    return "".join(c if len(c.upper()) != 1 else c.upper() for c in name)


def _split(path: str) -> list[str]:
    if not isinstance(path, str):
        raise RegistryPathError(f"registry path must be a string, got {path!r}")
    lowered = path.lower()
    for prefix in _HIVE_PREFIXES:
        if lowered == prefix:
            return []
        if lowered.startswith(prefix + "\\"):
            rest = path[len(prefix) + 1 :]
            rest = rest[:-1] if rest.endswith("\\") else rest  # one trailing backslash
            if not rest:
                return []
            parts = rest.split("\\")
            if not all(parts):
                raise RegistryPathError(f"registry path '{path}' has an empty key name")
            return parts
    raise RegistryPathError(f"registry path '{path}' is not under HKLM (use HKLM:\\...)")


def normalise_path(path: str) -> str:
    """`HKEY_LOCAL_MACHINE\\X\\`, `HKLM\\X`, `hklm:\\X` -> `HKLM:\\X` (case of X kept)."""
    parts = _split(path)
    return ROOT + "\\".join(parts)


def path_parts(path: str) -> tuple[str, ...]:
    """The key names of a path below the hive root, as written."""
    return tuple(_split(path))


def same_path(a: str, b: str) -> bool:
    """True when both paths name the same key (names compare case-insensitively)."""
    return [fold(p) for p in _split(a)] == [fold(p) for p in _split(b)]


def check_data(reg_type: str, data: object) -> object:
    """Return `data` in its stored form for `reg_type`, or raise RegistryTypeError."""
    if reg_type not in REG_TYPES:
        raise RegistryTypeError(f"unknown registry type '{reg_type}'")
    if reg_type in STRING_TYPES:
        if not isinstance(data, str):
            raise RegistryTypeError(f"{reg_type} data must be a string, got {data!r}")
        return data
    if reg_type in ("REG_DWORD", "REG_QWORD"):
        top = DWORD_MAX if reg_type == "REG_DWORD" else QWORD_MAX
        if isinstance(data, bytes | bytearray):
            # Windows stores whatever bytes a writer gives (RegSetValueEx does not check the
            # size), so a REG_DWORD of 8 bytes exists; JSON spells such data as a hex string.
            return bytes(data)
        if isinstance(data, bool) or not isinstance(data, int):
            raise RegistryTypeError(f"{reg_type} data must be an integer, got {data!r}")
        if not 0 <= data <= top:
            raise RegistryTypeError(f"{reg_type} data {data} is outside 0..{top}")
        return data
    if reg_type == "REG_MULTI_SZ":
        if not isinstance(data, list | tuple) or not all(isinstance(s, str) for s in data):
            raise RegistryTypeError(f"REG_MULTI_SZ data must be a list of strings, got {data!r}")
        return list(data)
    if not isinstance(data, bytes | bytearray):
        raise RegistryTypeError(f"{reg_type} data must be bytes, got {data!r}")
    return bytes(data)


def data_to_json(reg_type: str, data: object) -> object:
    """Stored data -> its JSON form (bytes become lowercase hex)."""
    if reg_type in BYTES_TYPES or isinstance(data, bytes | bytearray):
        return bytes(data).hex()  # type: ignore[arg-type]
    if reg_type == "REG_MULTI_SZ":
        return list(data)  # type: ignore[call-overload]
    return data


def data_from_json(reg_type: str, data: object) -> object:
    """JSON data -> stored data, type-checked (hex strings become bytes)."""
    if reg_type in BYTES_TYPES or (
        reg_type in ("REG_DWORD", "REG_QWORD") and isinstance(data, str)
    ):
        if (
            not isinstance(data, str)
            or len(data) % 2
            or not all(c in "0123456789abcdefABCDEF" for c in data)
        ):
            raise RegistryTypeError(
                f"{reg_type} data must be a hex string of whole bytes, got {data!r}"
            )
        return bytes.fromhex(data)
    return check_data(reg_type, data)


@dataclass(frozen=True)
class RegValue:
    name: str
    type: str
    data: object

    def to_json(self) -> dict:
        return {"name": self.name, "type": self.type, "data": data_to_json(self.type, self.data)}

    def typed_json(self) -> dict:
        return {"type": self.type, "data": data_to_json(self.type, self.data)}


class _Key:
    __slots__ = ("path", "values")

    def __init__(self, path: str):
        self.path = path  # as stored: the case each key name was created with
        self.values: dict[str, RegValue] = {}


class Registry:
    """HKLM only. Paths in any accepted spelling; names compare case-insensitively."""

    def __init__(self) -> None:
        self._keys: dict[tuple[str, ...], _Key] = {(): _Key(ROOT)}
        self.writes = 0
        # Set by the host state: decides whether a normalised path is access denied.
        self.is_denied: Callable[[str], bool] = lambda path: False
        self._external: list[int] = []

    # ----- access and counting -------------------------------------------------------------
    def _locate(self, path: str) -> tuple[str, tuple[str, ...]]:
        parts = path_parts(path)
        return ROOT + "\\".join(parts), tuple(fold(p) for p in parts)

    def _denied(self, normal: str) -> bool:
        return not self._external and self.is_denied(normal)

    def _open(self, path: str) -> _Key | None:
        """The existing key or None. Opening an existing denied key, to read or write, fails;
        a denied key that does not exist simply reads as missing."""
        normal, key_id = self._locate(path)
        key = self._keys.get(key_id)
        if key is not None and self._denied(normal):
            raise RegistryAccessDenied(normal)
        return key

    def _wrote(self) -> None:
        if self._external:
            self._external[-1] += 1
        else:
            self.writes += 1

    @contextlib.contextmanager
    def as_external_actor(self) -> Iterator[list[int]]:
        """Writes made inside are someone else's: not counted in `writes`, not denied.

        Yields a one-item list that holds the number of writes made inside once the block ends.
        """
        self._external.append(0)
        box = [0]
        try:
            yield box
        finally:
            box[0] = self._external.pop()

    # ----- reads -----------------------------------------------------------------------------
    def key_exists(self, path: str) -> bool:
        return self._open(path) is not None

    def values(self, path: str) -> list[RegValue] | None:
        """The key's values in creation order, or None if the key does not exist."""
        key = self._open(path)
        return None if key is None else list(key.values.values())

    def get_value(self, path: str, name: str) -> RegValue | None:
        key = self._open(path)
        return None if key is None else key.values.get(fold(name))

    def subkeys(self, path: str) -> list[str] | None:
        """Names of the direct subkeys as stored, or None if the key does not exist."""
        if self._open(path) is None:
            return None
        return self._children(self._locate(path)[1])

    def _children(self, key_id: tuple[str, ...]) -> list[str]:
        depth = len(key_id)
        return [
            key.path.rsplit("\\", 1)[-1]
            for other, key in self._keys.items()
            if len(other) == depth + 1 and other[:depth] == key_id
        ]

    # ----- writes ----------------------------------------------------------------------------
    def create_key(self, path: str) -> list[str]:
        """Create the key and any missing parents; return the stored paths created, outermost first.

        Creating a denied key fails before anything is created.
        """
        _, key_id = self._locate(path)
        parts = path_parts(path)
        missing = [depth for depth in range(1, len(key_id) + 1) if key_id[:depth] not in self._keys]
        for depth in missing:
            normal = ROOT + "\\".join(parts[:depth])
            if self._denied(normal):
                raise RegistryAccessDenied(normal)
        created = []
        for depth in missing:
            parent = self._keys[key_id[: depth - 1]]
            sep = "" if parent.path.endswith("\\") else "\\"
            key = _Key(parent.path + sep + parts[depth - 1])
            self._keys[key_id[:depth]] = key
            created.append(key.path)
            self._wrote()
        return created

    def set_json_value(self, path: str, name: str, reg_type: str, data: object) -> list[str]:
        """set_value with data in the contract's JSON form (hex strings for binary types)."""
        return self.set_value(path, name, reg_type, data_from_json(reg_type, data))

    def set_value(self, path: str, name: str, reg_type: str, data: object) -> list[str]:
        """Set a value, creating the key if needed; return the key paths this created.

        An existing value keeps the case of its name, as RegSetValueEx does.
        """
        if not isinstance(name, str):
            raise RegistryTypeError(f"value name must be a string, got {name!r}")
        stored = check_data(reg_type, data)
        self._open(path)  # an existing denied key fails before anything is created
        created = self.create_key(path)
        key = self._keys[self._locate(path)[1]]
        old = key.values.get(fold(name))
        key.values[fold(name)] = RegValue(old.name if old else name, reg_type, stored)
        self._wrote()
        return created

    def delete_value(self, path: str, name: str) -> bool:
        """Delete one value; True if it existed. The key and its other values stay."""
        key = self._open(path)
        if key is None or fold(name) not in key.values:
            return False
        del key.values[fold(name)]
        self._wrote()
        return True

    def _below_root(self, path: str) -> tuple[str, ...]:
        """The key id of a path that may be deleted: anything but the hive root."""
        key_id = self._locate(path)[1]
        if not key_id:
            raise RegistryKeyError("the hive root cannot be deleted")
        return key_id

    def delete_key(self, path: str) -> bool:
        """Delete an empty key (no values, no subkeys); True if it existed."""
        key_id = self._below_root(path)
        key = self._open(path)
        if key is None:
            return False
        if key.values or self._children(key_id):
            raise RegistryKeyError(f"registry key '{key.path}' is not empty")
        del self._keys[key_id]
        self._wrote()
        return True

    def delete_key_tree(self, path: str) -> int:
        """Delete a key with all its subkeys and values; return the number of keys removed."""
        key_id = self._below_root(path)
        if self._open(path) is None:
            return 0
        doomed = [k for k in self._keys if k[: len(key_id)] == key_id]
        for k in sorted(doomed, key=len, reverse=True):
            del self._keys[k]
            self._wrote()
        return len(doomed)

    # ----- persistence -----------------------------------------------------------------------
    def dump(self) -> dict:
        """{key path as stored: {value name as stored: {"type", "data"}}}.

        Keys that only exist as parents of listed keys are implicit and left out, so a dump
        lists exactly what the contract examples write down.
        """
        out = {}
        for key_id, key in self._keys.items():
            if not key_id:
                continue
            has_children = any(
                len(k) > len(key_id) and k[: len(key_id)] == key_id for k in self._keys
            )
            if key.values or not has_children:
                out[key.path] = {v.name: v.typed_json() for v in key.values.values()}
        return out

    def load(self, dump: dict) -> None:
        """Add keys and values from a dump (or a contract example) without counting writes."""
        with self.as_external_actor():
            for path, values in dump.items():
                self.create_key(path)
                for name, value in (values or {}).items():
                    reg_type = value["type"]
                    self.set_json_value(path, name, reg_type, value["data"])

    @classmethod
    def from_dump(cls, dump: dict) -> Registry:
        registry = cls()
        registry.load(dump)
        return registry

    def all_key_paths(self) -> list[str]:
        """Every existing key below the root, implicit parents included, as stored."""
        return [key.path for key_id, key in self._keys.items() if key_id]
