"""Ansible inventories for a running lab (INI, or YAML when the path ends in .yml/.yaml).

YAML is written in JSON form (JSON is YAML), so the lab needs no YAML library.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

GROUP = "windows"
CONNECTIONS = ("winrm", "psrp")


def connection_vars(
    user: str, password: str, transport: str = "basic", connection: str = "winrm"
) -> dict[str, str]:
    """The group's connection variables; `transport` is the lab's auth (basic or ntlm).

    Both connections' variables are written, `connection` only picks ansible_connection:
    `-e ansible_connection=psrp` (or winrm) then works on any lab inventory.
    """
    if connection not in CONNECTIONS:
        raise ValueError(f"connection must be one of {CONNECTIONS}, not {connection!r}")
    variables = {
        "ansible_user": user,
        "ansible_password": password,
        "ansible_connection": connection,
        # With ntlm, message encryption stays at pywinrm's default (auto: encrypted over HTTP).
        "ansible_winrm_transport": transport,
        "ansible_winrm_scheme": "http",
        "ansible_winrm_server_cert_validation": "ignore",
        # psrp picks HTTPS on any port but 5985: the lab's ports need the protocol said.
        "ansible_psrp_protocol": "http",
        # An NTLM lab gets psrp's default auth, negotiate (NTLM inside SPNEGO), with message
        # encryption at its default (auto: encrypted over HTTP).
        "ansible_psrp_auth": "negotiate" if transport == "ntlm" else "basic",
        "ansible_psrp_cert_validation": "ignore",
    }
    if transport != "ntlm":
        variables["ansible_psrp_message_encryption"] = "never"  # Basic cannot encrypt
    return variables


def host_vars(host: dict) -> dict:
    """`host` is a summary dict: name, address, port, profile."""
    return {
        "ansible_host": host["address"],
        "ansible_port": host["port"],
        "lab_profile": host["profile"],
    }


def render_ini(
    hosts: list[dict], user: str, password: str, transport: str = "basic", connection: str = "winrm"
) -> str:
    lines = ["# Written by `python -m winra_lab start`: emulated Windows hosts on loopback.", ""]
    lines.append(f"[{GROUP}]")
    for host in hosts:
        pairs = " ".join(f"{k}={shlex.quote(str(v))}" for k, v in host_vars(host).items())
        lines.append(f"{host['name']} {pairs}")
    lines += ["", f"[{GROUP}:vars]"]
    lines += [
        f"{k}={shlex.quote(v)}"
        for k, v in connection_vars(user, password, transport, connection).items()
    ]
    return "\n".join(lines) + "\n"


def render_yaml(
    hosts: list[dict], user: str, password: str, transport: str = "basic", connection: str = "winrm"
) -> str:
    doc = {
        "all": {
            "children": {
                GROUP: {
                    "hosts": {h["name"]: host_vars(h) for h in hosts},
                    "vars": connection_vars(user, password, transport, connection),
                }
            }
        }
    }
    return json.dumps(doc, indent=2) + "\n"


def write(
    path: Path,
    hosts: list[dict],
    user: str,
    password: str,
    transport: str = "basic",
    connection: str = "winrm",
) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    render = render_yaml if path.suffix.lower() in (".yml", ".yaml", ".json") else render_ini
    path.write_text(render(hosts, user, password, transport, connection), encoding="utf-8")
    path.chmod(0o600)  # it holds a password
    return path
