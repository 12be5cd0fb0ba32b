"""Shared helpers for the lab's protocol tests (imported by test modules, not a test)."""

from __future__ import annotations

import os
from pathlib import Path

import winrm

ROOT = Path(__file__).resolve().parents[2]
COLLECTIONS = ROOT / "collections"
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"

# A throwaway Ansible.Basic module: only its source travels to the lab, which never runs it.
DUMMY_MODULE = """#!powershell
#AnsibleRequires -CSharpUtil Ansible.Basic
$spec = @{ options = @{ data = @{ type = 'str'; default = 'pong' } }; supports_check_mode = $true }
$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)
$module.ExitJson()
"""


def protocol(
    lab, host_name: str = "ws001", password: str | None = None, **kwargs
) -> winrm.Protocol:
    host = lab.host(host_name)
    return winrm.Protocol(
        host.endpoint,
        transport="basic",
        username=lab.credentials.user,
        password=password if password is not None else lab.credentials.password,
        server_cert_validation="ignore",
        **kwargs,
    )


def run(proto: winrm.Protocol, command: str, args=(), stdin: bytes | None = None):
    """Open a shell, run one command (with stdin), collect output, close: as Ansible does."""
    shell = proto.open_shell(codepage=65001)
    try:
        command_id = proto.run_command(shell, command, list(args), console_mode_stdin=stdin is None)
        if stdin is not None:
            proto.send_command_input(shell, command_id, stdin, end=True)
        out, err, code = proto.get_command_output(shell, command_id)
        proto.cleanup_command(shell, command_id)
    finally:
        proto.close_shell(shell)
    return out, err, code


def throwaway_collections(root: Path) -> Path:
    """ansible_collections with a dummy module and a stand-in ansible.windows.win_ping source."""
    for namespace, name, module in (
        ("labtest", "dummy", "win_dummy"),
        ("ansible", "windows", "win_ping"),
    ):
        base = root / "ansible_collections" / namespace / name
        (base / "plugins" / "modules").mkdir(parents=True, exist_ok=True)
        (base / "galaxy.yml").write_text(
            f"namespace: {namespace}\nname: {name}\nversion: 1.0.0\nreadme: README.md\nauthors: [lab]\n"
        )
        (base / "plugins" / "modules" / f"{module}.ps1").write_text(DUMMY_MODULE)
    return root


def ansible_env(extra_collections: Path | None = None) -> dict:
    paths = [str(p) for p in (extra_collections, COLLECTIONS) if p]
    return dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=":".join(paths),
        ANSIBLE_HOST_KEY_CHECKING="False",
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_RETRY_FILES_ENABLED="False",
        PATH=f"{BIN}:{os.environ.get('PATH', '')}",
    )


def module_stdin(fqcn: str, args: dict, check_mode: bool = False) -> bytes:
    """A minimal ansible-core 2.19 module payload (the fields the lab reads)."""
    import json

    namespace, collection, name = fqcn.split(".")
    complex_args = {**args, "_ansible_check_mode": check_mode, "_ansible_module_name": fqcn}
    action = {
        "name": "module_wrapper.ps1",
        "params": {
            "Script": f"ansible_collections.{namespace}.{collection}.plugins.modules.{name}.ps1",
            "Variables": [{"Name": "complex_args", "Value": complex_args, "Scope": "Global"}],
            "ForModule": True,
        },
    }
    first = json.dumps({"name": "exec_wrapper", "script": "", "params": {}})
    second = json.dumps({"scripts": {}, "actions": [action], "signed_hashlist": []})
    return f"{first}\n\0\0\0\0\n{second}".encode()


def run_module(
    proto: winrm.Protocol, fqcn: str, args: dict, check_mode: bool = False
) -> tuple[dict, int]:
    import json

    out, _err, code = run(
        proto,
        "PowerShell",
        ["-NoProfile", "-EncodedCommand", "JABpAG4AcAB1AHQA"],
        stdin=module_stdin(fqcn, args, check_mode),
    )
    return json.loads(out), code


# ----- the host engine's request form (contract 2: one option, base64 JSON) ----------------

COMPUTER_NAME = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ComputerName\\ActiveComputerName"


def engine_args(document: dict) -> dict:
    """win_ra_state's module arguments for a request document."""
    import base64
    import json

    return {"request": base64.b64encode(json.dumps(document).encode("utf-8")).decode("ascii")}


def engine_read(keys=()) -> dict:
    """A read of `keys` and of the computer name (each host answers for itself)."""
    return engine_args({"action": "read", "keys": [*keys, COMPUTER_NAME], "accounts": [],
                        "firewall_rules": [], "policy_sources": False})  # fmt: skip


def engine_set_dword(path: str, name: str, data: int) -> dict:
    """An apply that creates one REG_DWORD that must not exist yet."""
    change = {"op": "set_value", "path": path, "name": name, "kind": "DWord",
              "data": data.to_bytes(4, "little").hex(), "expect": {"present": False}}  # fmt: skip
    return engine_args({"action": "apply", "changes": [change]})


def engine_value(result: dict, name: str, key: int = 0) -> dict | None:
    """A value of a read's key, DWORD data decoded to an integer."""
    for value in result["keys"][key]["values"]:
        if value["name"] == name:
            data = value["data"]
            if value["kind"] == "DWord" and len(data) == 8:
                data = int.from_bytes(bytes.fromhex(data), "little")
            return {"name": name, "kind": value["kind"], "data": data}
    return None


def hostname_of(result: dict) -> str | None:
    """The computer name a read reports (its last key is COMPUTER_NAME)."""
    value = engine_value(result, "ComputerName", key=-1)
    return value["data"] if value else None
