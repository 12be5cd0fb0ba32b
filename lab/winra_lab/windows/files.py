"""A per-host file store with Windows path semantics, and the file faults the lab injects.

Paths are absolute Windows paths (`C:\\...`); they compare case-insensitively and keep the
case they were created with; `/` reads as `\\`; `%SystemRoot%` and `%windir%` expand to
`C:\\Windows`. Directories are implicit: a file's folder exists when any file is in it.

Writes through `write`, `replace` and `delete` count in `writes` and meet the faults;
`seed` (profiles, the control API, the Group Policy service's own copies) does neither.

Faults:
- `locked`: {path: n or None}: the file is held open by another process (the Group Policy
  service locks Registry.pol while it applies it); the next n reads, writes, replaces or
  deletes of that exact path fail with FileLocked (None: until the fault is cleared).
- `torn_write`: {path: k}: the next write to that path, or to a file named after it
  (`<path>.<anything>`, the temporary file of a safe writer), stores only its first k bytes
  and then fails, as a crash or a full disk leaves a file.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field

_SYSTEM_ROOT = "C:\\Windows"
_VARIABLES = re.compile(r"%(systemroot|windir)%", re.IGNORECASE)
_ABSOLUTE = re.compile(r"[A-Za-z]:\\")


class FileStoreError(Exception):
    """A file operation was refused."""


class FilePathError(FileStoreError, ValueError):
    """Not an absolute Windows file path."""


class FileLocked(FileStoreError):
    def __init__(self, path: str) -> None:
        super().__init__(
            f"The process cannot access the file '{path}' because it is being used by"
            " another process."
        )
        self.path = path


class FileWriteInterrupted(FileStoreError):
    def __init__(self, path: str, written: int, size: int) -> None:
        super().__init__(f"Writing '{path}' stopped after {written} of {size} bytes.")
        self.path = path


class FileMissing(FileStoreError):
    def __init__(self, path: str) -> None:
        super().__init__(f"Could not find file '{path}'.")
        self.path = path


def normalise(path: str) -> str:
    """`c:/windows/x` -> `c:\\windows\\x`; variables expanded; refuses relative paths and `..`."""
    if not isinstance(path, str) or not path:
        raise FilePathError(f"a file path must be a non-empty string, got {path!r}")
    text = _VARIABLES.sub(lambda _m: _SYSTEM_ROOT, path).replace("/", "\\")
    if not _ABSOLUTE.match(text):
        raise FilePathError(f"'{path}' is not an absolute Windows path (C:\\...)")
    parts = text[3:].split("\\")
    if not all(parts) or any(part in (".", "..") for part in parts):
        raise FilePathError(f"'{path}' has an empty, '.' or '..' path component")
    if any(c in part for part in parts for c in '<>:"|?*\x00'):
        raise FilePathError(f"'{path}' holds a character Windows refuses in a file name")
    return text


def fold(path: str) -> str:
    return normalise(path).casefold()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class FileFaults:
    locked: dict = field(default_factory=dict)  # folded path -> remaining count or None
    torn_write: dict = field(default_factory=dict)  # folded path -> bytes kept

    def to_json(self) -> dict:
        return {"locked": dict(self.locked), "torn_write": dict(self.torn_write)}

    @classmethod
    def from_json(cls, data: dict | None) -> FileFaults:
        data = data or {}
        unknown = set(data) - {"locked", "torn_write"}
        if unknown:
            raise ValueError(f"unknown file fault(s): {', '.join(sorted(unknown))}")
        locked = data.get("locked") or {}
        if isinstance(locked, list):
            locked = {path: None for path in locked}
        torn = data.get("torn_write") or {}
        for path, count in locked.items():
            if count is not None and (
                isinstance(count, bool) or not isinstance(count, int) or count < 1
            ):
                raise ValueError(f"locked: count for '{path}' must be a positive integer or null")
        for path, keep in torn.items():
            if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
                raise ValueError(f"torn_write: bytes kept for '{path}' must be an integer >= 0")
        return cls(
            locked={fold(p): c for p, c in locked.items()},
            torn_write={fold(p): k for p, k in torn.items()},
        )


class FileStore:
    def __init__(self) -> None:
        self._files: dict[str, tuple[str, bytes]] = {}
        self.writes = 0
        self.faults = FileFaults()

    # ----- faults ------------------------------------------------------------------------------
    def _check_lock(self, path: str) -> None:
        folded = fold(path)
        if folded not in self.faults.locked:
            return
        remaining = self.faults.locked[folded]
        if remaining is not None:
            if remaining <= 1:
                del self.faults.locked[folded]
            else:
                self.faults.locked[folded] = remaining - 1
        raise FileLocked(self.stored_path(path))

    def _torn(self, folded: str) -> int | None:
        for target, keep in list(self.faults.torn_write.items()):
            if folded == target or folded.startswith(target + "."):
                del self.faults.torn_write[target]
                return keep
        return None

    # ----- reads ------------------------------------------------------------------------------
    def stored_path(self, path: str) -> str:
        entry = self._files.get(fold(path))
        return entry[0] if entry else normalise(path)

    def exists(self, path: str) -> bool:
        return fold(path) in self._files

    def read(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist; a locked file raises."""
        self._check_lock(path)
        return self.peek(path)

    def peek(self, path: str) -> bytes | None:
        """Read as the lab itself does (dumps, the Group Policy service): no faults."""
        entry = self._files.get(fold(path))
        return entry[1] if entry else None

    def paths(self) -> list[str]:
        return sorted((stored for stored, _ in self._files.values()), key=str.casefold)

    # ----- writes -----------------------------------------------------------------------------
    def _store(self, path: str, data: bytes) -> None:
        folded = fold(path)
        stored = self._files[folded][0] if folded in self._files else normalise(path)
        self._files[folded] = (stored, bytes(data))

    def write(self, path: str, data: bytes) -> None:
        """Create or overwrite a file (counted; meets the faults)."""
        self._check_lock(path)
        keep = self._torn(fold(path))
        if keep is not None and keep < len(data):
            self._store(path, data[:keep])
            self.writes += 1
            raise FileWriteInterrupted(self.stored_path(path), keep, len(data))
        self._store(path, data)
        self.writes += 1

    def delete(self, path: str) -> bool:
        self._check_lock(path)
        if self._files.pop(fold(path), None) is None:
            return False
        self.writes += 1
        return True

    def replace(self, source: str, target: str, backup: str | None = None) -> None:
        """Move `source` over `target` in one step (ReplaceFile / File.Replace): the old
        target becomes `backup` when given. Either everything happens or nothing does."""
        for path in (source, target, *([backup] if backup else [])):
            self._check_lock(path)
        new = self._files.get(fold(source))
        if new is None:
            raise FileMissing(normalise(source))
        old = self._files.get(fold(target))
        if backup and old is not None:
            self._store(backup, old[1])
        self._store(target, new[1])
        del self._files[fold(source)]
        self.writes += 1

    def seed(self, path: str, data: bytes | None) -> None:
        """Someone else's write (or removal, with None): not counted, no faults."""
        if data is None:
            self._files.pop(fold(path), None)
        else:
            self._store(path, data)

    # ----- persistence ------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "files": {
                stored: base64.b64encode(data).decode() for stored, data in self._files.values()
            },
            "writes": self.writes,
            "faults": self.faults.to_json(),
        }

    @classmethod
    def from_json(cls, data: dict | None) -> FileStore:
        data = data or {}
        store = cls()
        for path, encoded in (data.get("files") or {}).items():
            store.seed(path, base64.b64decode(encoded, validate=True))
        store.writes = int(data.get("writes", 0))
        store.faults = FileFaults.from_json(data.get("faults"))
        return store
