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
