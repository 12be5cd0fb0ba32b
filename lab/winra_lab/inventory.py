"""Ansible inventories for a running lab (INI, or YAML when the path ends in .yml/.yaml).

YAML is written in JSON form (JSON is YAML), so the lab needs no YAML library.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

GROUP = "windows"


def connection_vars(user: str, password: str, transport: str = "basic") -> dict[str, str]:
    # With ntlm, message encryption stays at pywinrm's default (auto: encrypted over HTTP).
    return {
        "ansible_user": user,
        "ansible_password": password,
        "ansible_connection": "winrm",
        "ansible_winrm_transport": transport,
        "ansible_winrm_scheme": "http",
        "ansible_winrm_server_cert_validation": "ignore",
    }


def host_vars(host: dict) -> dict:
    """`host` is a summary dict: name, address, port, profile."""
    return {
        "ansible_host": host["address"],
        "ansible_port": host["port"],
        "lab_profile": host["profile"],
    }


def render_ini(hosts: list[dict], user: str, password: str, transport: str = "basic") -> str:
    lines = ["# Written by `python -m winra_lab start`: emulated Windows hosts on loopback.", ""]
    lines.append(f"[{GROUP}]")
    for host in hosts:
        pairs = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in host_vars(host).items())
        lines.append(f"{host['name']} {pairs}")
    lines += ["", f"[{GROUP}:vars]"]
    lines += [
        f"{k}={shlex.quote(v)}" for k, v in connection_vars(user, password, transport).items()
    ]
    return "\n".join(lines) + "\n"


def render_yaml(hosts: list[dict], user: str, password: str, transport: str = "basic") -> str:
    doc = {
        "all": {
            "children": {
                GROUP: {
                    "hosts": {h["name"]: host_vars(h) for h in hosts},
                    "vars": connection_vars(user, password, transport),
                }
            }
        }
    }
    return json.dumps(doc, indent=2) + "\n"


def write(
    path: Path, hosts: list[dict], user: str, password: str, transport: str = "basic"
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render = render_yaml if path.suffix.lower() in (".yml", ".yaml", ".json") else render_ini
    path.write_text(render(hosts, user, password, transport), encoding="utf-8")
    path.chmod(0o600)  # it holds a password
    return path
