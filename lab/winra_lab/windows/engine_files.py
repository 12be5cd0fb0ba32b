"""The engine's file primitives, lab side (docs/engine-contract-files.md).

`read` with `files: [path, ...]` returns each file's bytes and SHA-256; `apply` with
`replace_file` changes replaces a file by compare-and-swap: the whole request is checked
first (nothing written on any mismatch), then each change, in the order given, writes a
temporary file beside the target, re-reads and verifies it, and moves it over the target
in one step keeping `<name>.bak`, after checking once more that the target still has the
hash the controller read. A failure after some files were replaced puts those back, so a
host ends with all of the files or none.

Functions raise FileContractError; its `result()` is the module's failure JSON.
"""

from __future__ import annotations

import base64
import binascii
import contextlib

from winra_lab.windows.files import (
    FileLocked,
    FilePathError,
    FileStore,
    FileStoreError,
    normalise,
    sha256,
)

TEMP_SUFFIX = ".winra-tmp"
BACKUP_SUFFIX = ".bak"
_CHANGE_FIELDS = {"op", "path", "data", "expect"}


class FileContractError(Exception):
    """`kind`: bad_request, file_locked, precondition, write_failed, rollback_failed."""

    retryable_kinds = ("file_locked", "precondition", "write_failed")

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        conflicts: list | None = None,
        applied: int = 0,
        rolled_back: bool = False,
        changed: bool = False,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.conflicts = conflicts or []
        self.applied = applied
        self.rolled_back = rolled_back
        self.changed = changed

    @property
    def retryable(self) -> bool:
        return self.kind in self.retryable_kinds

    def result(self) -> dict:
        return {
            "failed": True,
            "changed": self.changed,
            "contract_version": 1,
            "msg": str(self),
            "error": self.kind,
            "retryable": self.retryable,
            "applied": self.applied,
            "rolled_back": self.rolled_back,
            "conflicts": list(self.conflicts),
        }


def describe(path: str, data: bytes | None) -> dict:
    if data is None:
        return {"path": path, "exists": False, "size": 0, "sha256": None, "data": None}
    return {
        "path": path,
        "exists": True,
        "size": len(data),
        "sha256": sha256(data),
        "data": base64.b64encode(data).decode("ascii"),
    }


def read_files(store: FileStore, paths: list) -> list[dict]:
    """One {path, exists, size, sha256, data (base64)} per path, in request order."""
    if not isinstance(paths, list):
        raise FileContractError("bad_request", f"files must be a list of paths, got {paths!r}")
    normal = [_path(p) for p in paths]
    result = []
    for path in normal:
        try:
            result.append(describe(store.stored_path(path), store.read(path)))
        except FileLocked as exc:
            raise FileContractError("file_locked", f"Failed to read file '{path}': {exc}") from exc
    return result


def apply_file_changes(store: FileStore, changes: list, check_mode: bool = False) -> dict:
    """Apply `replace_file` changes; the success JSON, or FileContractError."""
    checked = [_validated(change) for change in changes]
    folded = [path.casefold() for path, _, _ in checked]
    if len(set(folded)) != len(folded):
        raise FileContractError("bad_request", "two replace_file changes name the same file")
    conflicts = []
    for path, _data, expect in checked:
        conflict = _conflict(store, path, expect)
        if conflict:
            conflicts.append(conflict)
    if conflicts:
        first = conflicts[0]["path"]
        raise FileContractError(
            "precondition",
            f"Failed to replace file '{first}': it changed since it was read",
            conflicts=conflicts,
        )
    if check_mode:
        return _success(bool(checked), 0, [])
    done: list[tuple[str, bytes | None]] = []
    files = []
    for path, data, expect in checked:
        before = store.peek(path)
        try:
            files.append(_replace(store, path, data, expect))
        except FileContractError as exc:
            _restore(store, done, exc)
            raise
        done.append((path, before))
    return _success(bool(checked), len(checked), files)


def _success(changed: bool, applied: int, files: list) -> dict:
    return {
        "changed": changed,
        "contract_version": 1,
        "applied": applied,
        "rolled_back": False,
        "conflicts": [],
        "files": files,
    }


def _replace(store: FileStore, path: str, data: bytes, expect: dict) -> dict:
    temp = path + TEMP_SUFFIX
    backup = path + BACKUP_SUFFIX
    try:
        store.write(temp, data)
        if store.read(temp) != data:
            raise FileStoreError(f"'{temp}' does not hold what was written")
        conflict = _conflict(store, path, expect)
        if conflict:
            raise FileContractError(
                "precondition",
                f"Failed to replace file '{path}': it changed while the new file was written",
                conflicts=[conflict],
            )
        store.replace(temp, path, backup if store.exists(path) else None)
    except FileLocked as exc:
        _discard(store, temp)
        raise FileContractError("file_locked", f"Failed to replace file '{path}': {exc}") from exc
    except FileStoreError as exc:
        _discard(store, temp)
        raise FileContractError(
            "write_failed", f"Failed to replace file '{path}': {exc}", rolled_back=True
        ) from exc
    except FileContractError:
        _discard(store, temp)
        raise
    return {"path": store.stored_path(path), "sha256": sha256(data), "size": len(data)}


def _discard(store: FileStore, temp: str) -> None:
    # A temporary file left behind is harmless: the target was never touched.
    with contextlib.suppress(FileStoreError):
        store.delete(temp)


def _restore(store: FileStore, done: list, failure: FileContractError) -> None:
    """Put back the files this request already replaced, last first."""
    if done:
        failure.rolled_back = True
    unrestored = []
    for path, before in reversed(done):
        try:
            if before is None:
                store.delete(path)
            else:
                store.write(path, before)
        except FileStoreError as exc:
            unrestored.append(f"'{path}' ({exc})")
    if unrestored:
        failure.kind = "rollback_failed"
        failure.rolled_back = False
        failure.changed = True
        failure.applied = len(done)
        failure.args = (f"{failure}; could not restore {', '.join(unrestored)}",)


def _conflict(store: FileStore, path: str, expect: dict) -> dict | None:
    try:
        current = store.read(path)
    except FileLocked as exc:
        raise FileContractError("file_locked", f"Failed to read file '{path}': {exc}") from exc
    actual = {"present": False} if current is None else {"present": True, "sha256": sha256(current)}
    wanted = {"present": False} if not expect["present"] else dict(expect)
    if actual == wanted:
        return None
    return {"path": store.stored_path(path), "expected": wanted, "actual": actual}


def _path(path) -> str:
    try:
        return normalise(path)
    except FilePathError as exc:
        raise FileContractError("bad_request", str(exc)) from exc


def _validated(change) -> tuple[str, bytes, dict]:
    if not isinstance(change, dict) or change.get("op") != "replace_file":
        raise FileContractError("bad_request", f"not a replace_file change: {change!r}")
    fields = set(change)
    if fields != _CHANGE_FIELDS:
        missing, unknown = _CHANGE_FIELDS - fields, fields - _CHANGE_FIELDS
        raise FileContractError(
            "bad_request",
            f"replace_file needs exactly {', '.join(sorted(_CHANGE_FIELDS))}"
            f" (missing: {sorted(missing)}, unknown: {sorted(unknown)})",
        )
    path = _path(change["path"])
    if not isinstance(change["data"], str):
        raise FileContractError("bad_request", f"replace_file data for '{path}' must be base64")
    try:
        data = base64.b64decode(change["data"], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FileContractError(
            "bad_request", f"replace_file data for '{path}' is not base64: {exc}"
        ) from exc
    return path, data, _expect(path, change["expect"])


def _expect(path: str, expect) -> dict:
    if expect == {"present": False}:
        return {"present": False}
    if (
        isinstance(expect, dict)
        and set(expect) == {"present", "sha256"}
        and expect["present"] is True
        and isinstance(expect["sha256"], str)
        and len(expect["sha256"]) == 64
        and all(c in "0123456789abcdef" for c in expect["sha256"])
    ):
        return dict(expect)
    raise FileContractError(
        "bad_request",
        f"replace_file expect for '{path}' must be {{present: false}} or"
        f" {{present: true, sha256: <64 lowercase hex>}}, got {expect!r}",
    )


# ----- the engine's hook: files and registry changes in one request ---------------------------


def wants_files(args: dict) -> bool:
    """True when a `win_ra_state` request reads files or holds `replace_file` changes."""
    changes = args.get("changes")
    return "files" in args or (
        isinstance(changes, list)
        and any(isinstance(c, dict) and c.get("op") == "replace_file" for c in changes)
    )


def run_with_files(state, args: dict, check_mode: bool, run_engine) -> dict:
    """One engine request that also reads or replaces files.

    `run_engine(state, args, check_mode)` is the engine without files; this calls it with
    the file parts taken out. `read`: the registry part first, then `files`. `apply`: both
    kinds are checked first (nothing written on any mismatch), then the files are replaced
    (Registry.pol before gpt.ini, as the controller orders them), then the registry is
    written; a registry failure puts the files back, so the request lands whole or not at all.
    Files go first because a crash between the two leaves a file that the next refresh
    applies, never live values that the next refresh takes back.
    """
    rest = {k: v for k, v in args.items() if k != "files"}
    if args.get("action") == "read":
        result = run_engine(state, rest, check_mode)
        if result.get("failed"):
            return {**result, "files": []}
        try:
            return {**result, "files": read_files(state.files, args.get("files") or [])}
        except FileContractError as exc:
            return {**result, **exc.result(), "files": []}
    changes = args.get("changes") if isinstance(args.get("changes"), list) else []
    file_changes = [c for c in changes if isinstance(c, dict) and c.get("op") == "replace_file"]
    rest["changes"] = [c for c in changes if c not in file_changes]
    try:
        apply_file_changes(state.files, file_changes, check_mode=True)
    except FileContractError as exc:
        return exc.result()
    checked = run_engine(state, rest, True)
    if checked.get("failed") or check_mode:
        return {**checked, "changed": bool(changes) and not checked.get("failed"), "files": []}
    before = [(path, state.files.peek(path)) for path in _paths(file_changes)]
    try:
        written = apply_file_changes(state.files, file_changes)
    except FileContractError as exc:
        return exc.result()
    result = run_engine(state, rest, False)
    if result.get("failed"):
        return _files_put_back(state.files, before, result)
    applied = result.get("applied", 0) + written["applied"]
    return {**result, "changed": True, "applied": applied, "files": written["files"]}


def _paths(file_changes: list) -> list[str]:
    return [normalise(change["path"]) for change in file_changes]


def _files_put_back(store: FileStore, before: list, result: dict) -> dict:
    """The registry part failed after the files were replaced: restore the files too."""
    failure = FileContractError(result.get("error", "write_failed"), result.get("msg", ""))
    _restore(store, before, failure)
    merged = {**result, "files": []}
    if failure.kind == "rollback_failed" and result.get("error") != "rollback_failed":
        merged.update(error="rollback_failed", changed=True, rolled_back=False, msg=str(failure))
    elif failure.kind == "rollback_failed":
        merged["msg"] = str(failure)
    else:
        merged["msg"] = f"{merged.get('msg')}; the replaced file(s) were put back"
    return merged
