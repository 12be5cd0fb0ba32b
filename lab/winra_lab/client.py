"""Driving a running lab from Python: its control API, and its command line as a child process.

    client = ControlClient.from_run_dir(".lab")      # a lab started by `python -m winra_lab start`
    client.set_value("ws003", key, "fAllowToGetHelp", "REG_DWORD", 0)  # key: a registry key path
    client.set_faults("ws004", refuse_connections=True)
    assert all(c["registry_writes"] == 0 for c in client.counters().values())

Every method answers with the control API's JSON (docs/lab.md); an error answer raises
ControlCallError. Host names may be the inventory name or its short form.
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from pathlib import Path

# Written by `start` into its run directory; shared here so that the client can find the lab.
RUN_FILE = "run.json"


class ControlCallError(RuntimeError):
    def __init__(self, status: int, payload) -> None:
        super().__init__(f"control API answered {status}: {payload}")
        self.status = status
        self.payload = payload


def call_control(base_url: str, method: str, path: str, body=None, timeout: float = 30):
    """One JSON call to a lab's control API."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base_url + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        payload = exc.read()
        with contextlib.suppress(ValueError):
            payload = json.loads(payload)
        raise ControlCallError(exc.code, payload) from None


def _host(name: str) -> str:
    return "/hosts/" + urllib.parse.quote(name, safe="")


def _only(hosts: Iterable[str] | None) -> dict | None:
    """The optional `{"hosts": [...]}` body of the fleet-wide endpoints."""
    return None if hosts is None else {"hosts": list(hosts)}


class ControlClient:
    """The control API of one running lab."""

    def __init__(self, control_url: str, timeout: float = 30) -> None:
        self.control_url = control_url.rstrip("/")
        self.timeout = timeout

    @classmethod
    def from_run_dir(cls, run_dir: str | Path = ".lab") -> ControlClient:
        """The lab that `python -m winra_lab --run-dir RUN_DIR start` started."""
        info = json.loads((Path(run_dir) / RUN_FILE).read_text(encoding="utf-8"))
        return cls(info["control_url"])

    def call(self, method: str, path: str, body=None):
        return call_control(self.control_url, method, path, body, self.timeout)

    # ------------------------------------------------------------ hosts

    def hosts(self) -> list[dict]:
        return self.call("GET", "/hosts")

    def host(self, host: str) -> dict:
        """The dump: summary, `state`, `counters`, `open_shells`."""
        return self.call("GET", _host(host))

    def registry(self, host: str) -> dict:
        """The host's whole registry: {key path: {value name: {type, data}}}."""
        return self.host(host)["state"]["registry"]

    def firewall_rules(self, host: str) -> list[dict]:
        return self.host(host)["state"]["firewall_rules"]

    def reset(self, hosts: Iterable[str] | None = None) -> dict:
        """Hosts (default: all) back to their profile's seed; faults and counters cleared."""
        return self.call("POST", "/reset", _only(hosts))

    # ------------------------------------------------------------ registry, as someone else

    def value(self, host: str, path: str, name: str) -> dict:
        query = urllib.parse.urlencode({"path": path, "name": name})
        return self.call("GET", f"{_host(host)}/registry?{query}")

    def set_value(self, host: str, path: str, name: str, type: str, data) -> dict:
        body = {"path": path, "name": name, "type": type, "data": data}
        return self.call("PUT", f"{_host(host)}/registry", body)

    def edit_registry(self, host: str, ops: Iterable[dict]) -> dict:
        """Several `{op: set|delete, ...}` edits; not counted as module writes."""
        return self.call("POST", f"{_host(host)}/registry", {"ops": list(ops)})

    def gp_refresh(self, host: str) -> dict:
        """Group Policy refreshed: the local Registry.pol applied, then the host's GPO values
        written again (not module writes)."""
        return self.call("POST", f"{_host(host)}/gp-refresh")

    # ------------------------------------------------------------ files

    def file(self, host: str, path: str) -> dict:
        """{path, exists, size, sha256, data (base64)} of one emulated file."""
        query = urllib.parse.urlencode({"path": path})
        return self.call("GET", f"{_host(host)}/files?{query}")

    def file_bytes(self, host: str, path: str) -> bytes | None:
        """The file's raw bytes, or None when it does not exist."""
        answer = self.file(host, path)
        return base64.b64decode(answer["data"]) if answer["exists"] else None

    def files(self, host: str) -> dict:
        """{files: [{path, exists, size, sha256}], writes, faults}."""
        return self.call("GET", f"{_host(host)}/files")

    def put_file(self, host: str, path: str, data: bytes | None) -> dict:
        """Write (or with None remove) a file as someone else; not counted as a module write."""
        encoded = None if data is None else base64.b64encode(data).decode("ascii")
        return self.call("PUT", f"{_host(host)}/files", {"path": path, "data": encoded})

    def set_file_faults(self, host: str, locked=None, torn_write=None) -> dict:
        """Replace the host's file faults (cleared also by clear_faults)."""
        body = {"locked": locked or {}, "torn_write": torn_write or {}}
        return self.call("POST", f"{_host(host)}/file-faults", body)

    # ------------------------------------------------------------ counters

    def counters(self, host: str | None = None) -> dict:
        """One host's counters, or {host: counters} for every host."""
        return self.call("GET", f"{_host(host)}/counters" if host else "/counters")

    def reset_counters(self, host: str | None = None) -> None:
        self.call("DELETE", f"{_host(host)}/counters" if host else "/counters")

    # ------------------------------------------------------------ faults

    def faults(self, host: str) -> dict:
        return self.call("GET", f"{_host(host)}/faults")

    def set_faults(self, host: str, **faults) -> dict:
        """E.g. set_faults("ws001", http_500_on="Receive", times=1); the faults now in force."""
        return self.call("POST", f"{_host(host)}/faults", faults)

    def clear_faults(self, host: str | None = None) -> None:
        self.call("DELETE", f"{_host(host)}/faults" if host else "/faults")


def run_cli(run_dir: str | Path, *args: str, timeout: float = 180) -> str:
    """`python -m winra_lab --run-dir RUN_DIR ARGS...` in a child process; its stdout.

    Raises RuntimeError with the command's output when it fails.
    """
    done = subprocess.run(
        [sys.executable, "-m", "winra_lab", "--run-dir", str(run_dir), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"python -m winra_lab {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
        )
    return done.stdout
