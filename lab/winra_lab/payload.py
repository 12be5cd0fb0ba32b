"""Decode what Ansible sends to a Windows host into a module invocation.

Two wire forms exist, both private to ansible-core, so decoding keys on JSON fields and
never on the wrapper scripts' text:

* ansible-core 2.19+: stdin is `JSON1 "\\n\\0\\0\\0\\0\\n" JSON2 [...]`. JSON1 names the
  exec wrapper; JSON2 holds `actions`, whose last entry `module_wrapper.ps1` carries the
  module (`Script`: `ansible_collections.NS.COLL.plugins.modules.NAME.ps1`) and its
  arguments (`Variables[0]`, named `complex_args`).
* ansible-core 2.16-2.18: stdin is `exec_wrapper text "\\0\\0\\0\\0" JSON` with
  `module_args` (carrying `_ansible_module_name`) and `actions`; the command line nests a
  second `PowerShell -EncodedCommand`.

Anything else (`raw` scripts, file transfer, become, async) becomes a `Refusal`: the lab
runs no PowerShell and says so.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass, field

SEPARATOR_NEW = b"\n\0\0\0\0\n"
SEPARATOR_OLD = b"\0\0\0\0"

EMULATED = (
    "winra.remote_assistance.win_ra_state",
    "ansible.windows.win_regedit",
    "ansible.windows.win_reg_stat",
    "ansible.windows.win_ping",
)
NO_POWERSHELL = (
    "The winra lab runs no PowerShell: it emulates only the modules "
    + ", ".join(EMULATED)
    + " over WinRM."
)

_ENCODED_ARG = re.compile(r"-(?:EncodedCommand|enc|e|ec)\s+([A-Za-z0-9+/=]+)", re.IGNORECASE)
_MODULE_SCRIPT = re.compile(r"^ansible_collections\.(\w+)\.(\w+)\.plugins\.modules\.(\w+)\.ps1$")
_BUILTIN_SCRIPT = re.compile(r"^ansible\.modules\.(\w+)\.ps1$")

# What each executor action means, for refusals (2.19+ names, then 2.16-2.18 names).
_TRANSFER_ACTIONS = {
    "winrm_put_file.ps1": "copy a file to the host (put_file)",
    "winrm_fetch_file.ps1": "fetch a file from the host (fetch_file)",
    "powershell_mkdtemp.ps1": "create a remote temporary directory",
    "powershell_expand_user.ps1": "expand a remote user path",
    "psrp_put_file.ps1": "copy a file to the host (put_file)",
    "psrp_fetch_file.ps1": "fetch a file from the host (fetch_file)",
}
_WRAPPER_REFUSALS = {
    "become_wrapper.ps1": "become (runas)",
    "become_wrapper": "become (runas)",
    "async_wrapper.ps1": "async tasks",
    "async_wrapper": "async tasks",
    "async_watchdog.ps1": "async tasks",
    "async_watchdog": "async tasks",
    "coverage_wrapper.ps1": "PowerShell code coverage",
    "module_script_wrapper": "the script module",
}


class PayloadError(ValueError):
    """The payload has the shape of an Ansible wrapper but cannot be read."""


@dataclass(frozen=True)
class Invocation:
    module: str  # fully qualified when the wire form carries it, else as the task asked
    args: dict = field(default_factory=dict)
    check_mode: bool = False
    diff: bool = False
    wire_form: str = "2.19"  # "2.19" (manifest) or "2.16" (exec_wrapper + JSON)


@dataclass(frozen=True)
class Refusal:
    """Not a module run the lab can emulate; `msg` says why for a person."""

    msg: str


def decode_command_line(command: str, arguments: str, max_depth: int = 4) -> str:
    """Return the script PowerShell would run, following nested -EncodedCommand."""
    text = f"{command} {arguments}".strip()
    for _ in range(max_depth):
        match = _ENCODED_ARG.search(text)
        if not match or not re.match(r"(?i)^\s*(&\s*)?\S*powershell(\.exe)?\b", text):
            return text
        try:
            text = base64.b64decode(match.group(1), validate=True).decode("utf-16-le")
        except (binascii.Error, UnicodeDecodeError) as exc:
            raise PayloadError(f"-EncodedCommand is not base64 UTF-16LE: {exc}") from exc
    return text


def _split_module_args(complex_args: dict) -> tuple[dict, bool, bool, str | None]:
    args = {k: v for k, v in complex_args.items() if not k.startswith("_ansible_")}
    return (
        args,
        bool(complex_args.get("_ansible_check_mode", False)),
        bool(complex_args.get("_ansible_diff", False)),
        complex_args.get("_ansible_module_name"),
    )


def _module_from_script(script: str, fallback: str | None) -> str:
    if match := _MODULE_SCRIPT.match(script):
        return ".".join(match.groups())
    if match := _BUILTIN_SCRIPT.match(script):
        return f"ansible.builtin.{match.group(1)}"
    return fallback or script.removesuffix(".ps1")


def _loads(data: bytes, what: str) -> dict:
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"{what} is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise PayloadError(f"{what} is not a JSON object")
    return value


def _decode_manifest(stdin: bytes) -> Invocation | Refusal:
    parts = stdin.split(SEPARATOR_NEW)
    bootstrap = _loads(parts[0], "the bootstrap manifest")
    if bootstrap.get("name") != "exec_wrapper" or len(parts) < 2:
        raise PayloadError("the bootstrap manifest does not name exec_wrapper")
    manifest = _loads(parts[1], "the exec manifest")
    actions = manifest.get("actions") or []
    names = [a.get("name", "") for a in actions if isinstance(a, dict)]
    for name in names:
        if name in _TRANSFER_ACTIONS:
            return Refusal(f"{NO_POWERSHELL} It cannot {_TRANSFER_ACTIONS[name]} ({name}).")
        if name in _WRAPPER_REFUSALS:
            return Refusal(f"{NO_POWERSHELL} It does not support {_WRAPPER_REFUSALS[name]}.")
    if not names or names[-1] != "module_wrapper.ps1":
        return Refusal(f"{NO_POWERSHELL} Unknown executor actions: {names}.")
    params = actions[-1].get("params") or {}
    script = str(params.get("Script", ""))
    variables = params.get("Variables") or []
    complex_args = next(
        (
            v.get("Value")
            for v in variables
            if isinstance(v, dict) and v.get("Name") == "complex_args"
        ),
        None,
    )
    if not params.get("ForModule", True) or complex_args is None:
        return Refusal(f"{NO_POWERSHELL} {script!r} is a script, not a module.")
    args, check_mode, diff, asked_name = _split_module_args(complex_args)
    return Invocation(_module_from_script(script, asked_name), args, check_mode, diff, "2.19")


def _decode_exec_wrapper(stdin: bytes) -> Invocation | Refusal:
    _wrapper, _, json_part = stdin.partition(SEPARATOR_OLD)
    manifest = _loads(json_part, "the exec wrapper manifest")
    actions = [str(a) for a in manifest.get("actions") or []]
    for name in actions:
        if name in _WRAPPER_REFUSALS:
            return Refusal(f"{NO_POWERSHELL} It does not support {_WRAPPER_REFUSALS[name]}.")
    if "module_powershell_wrapper" not in actions:
        return Refusal(f"{NO_POWERSHELL} Unknown executor actions: {actions}.")
    module_args = manifest.get("module_args")
    if not isinstance(module_args, dict):
        raise PayloadError("the exec wrapper manifest has no module_args")
    args, check_mode, diff, asked_name = _split_module_args(module_args)
    if not asked_name:
        raise PayloadError("module_args carry no _ansible_module_name")
    return Invocation(str(asked_name), args, check_mode, diff, "2.16")


def decode(command: str, arguments: str, stdin: bytes) -> Invocation | Refusal:
    """Turn one WinRS command (command line + all of stdin) into what to emulate."""
    script = decode_command_line(command, arguments)
    if stdin.lstrip().startswith(b"{") and SEPARATOR_NEW in stdin:
        return _decode_manifest(stdin)
    if SEPARATOR_OLD in stdin:
        return _decode_exec_wrapper(stdin)
    first_line = script.strip().splitlines()[0][:80] if script.strip() else ""
    return Refusal(
        f"{NO_POWERSHELL} It received a plain script (for example from raw, script or "
        f"win_shell), which it cannot run: {first_line!r}"
    )
