"""The control API: JSON over HTTP on its own loopback port, separate from /wsman.

Tests and users' CI drive the lab through it: inspect hosts, seed drift, inject faults,
read and reset counters, refresh Group Policy, reset hosts, save state. Every endpoint is documented in
docs/lab.md; keep the two in step.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from winra_lab.windows import group_policy
from winra_lab.windows.engine_files import describe
from winra_lab.windows.files import FileFaults, FileStoreError
from winra_lab.windows.registry import RegistryError, data_to_json
from winra_lab.wire import wire_faults

log = logging.getLogger(__name__)

HOST_FAULT_NAMES = (
    "deny_keys",
    "fail_write_after",
    "change_before_apply",
    "change_before_rollback",
    "firewall_unavailable",
    "lsa_unavailable",
)
REGISTRY_TYPES = ("REG_SZ", "REG_EXPAND_SZ", "REG_DWORD", "REG_QWORD", "REG_MULTI_SZ", "REG_BINARY")


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


# ------------------------------------------------------------------ operations


def faults_of(host) -> dict:
    return {"wire": host.wire_faults.to_json(), "host": host.state.faults.to_json()}


def set_faults(server, host, spec: dict) -> dict:
    """Merge `spec` into the host's faults; wire and host faults in one flat object."""
    if not isinstance(spec, dict):
        raise ControlError(400, "faults must be a JSON object")
    wire = {k: v for k, v in spec.items() if k not in HOST_FAULT_NAMES}
    hostside = {k: v for k, v in spec.items() if k in HOST_FAULT_NAMES}
    faults_type = type(host.state.faults)
    try:
        new_host_faults = faults_type.from_json({**host.state.faults.to_json(), **hostside})
    except (ValueError, TypeError) as exc:
        raise ControlError(400, str(exc)) from exc
    # "Someone else" can only change a rule the host has; checked here, where the host is
    # known, so a later apply never trips over a rule that is not there.
    for kind in ("change_before_apply", "change_before_rollback"):
        for change in getattr(new_host_faults, kind):
            if change["op"] == "set_rule" and host.state.find_rule(change["name"]) is None:
                raise ControlError(
                    400, f"{kind}: host {host.name} has no firewall rule {change['name']!r}"
                )
    try:
        wire_faults.apply_spec(host.wire_faults, wire)
    except wire_faults.FaultSpecError as exc:
        raise ControlError(400, str(exc)) from exc
    with host.lock:
        host.state.faults = new_host_faults
    if "refuse_connections" in wire:
        server.set_listening(host.name, not host.wire_faults.refuse_connections)
    return faults_of(host)


def clear_faults(server, host) -> dict:
    host.wire_faults.__init__()
    with host.lock:
        host.state.faults = type(host.state.faults)()
        host.state.files.faults = FileFaults()
    if not server.is_listening(host.name):
        server.set_listening(host.name, True)
    return faults_of(host)


def edit_registry(host, ops: list) -> dict:
    """Seed drift: set/delete values as "someone else" would; not counted as module writes."""
    for op in ops:
        if not isinstance(op, dict) or op.get("op") not in ("set", "delete"):
            raise ControlError(400, f"each registry op needs op set|delete: {op!r}")
        for key in ("path", "name") + (("type", "data") if op["op"] == "set" else ()):
            if key not in op:
                raise ControlError(400, f"registry op {op['op']} needs {key!r}: {op!r}")
        if op["op"] == "set" and op["type"] not in REGISTRY_TYPES:
            raise ControlError(400, f"type must be one of {REGISTRY_TYPES}: {op!r}")
    with host.lock:
        registry = host.state.registry
        try:
            with registry.as_external_actor():
                for op in ops:
                    if op["op"] == "set":
                        registry.set_json_value(op["path"], op["name"], op["type"], op["data"])
                    else:
                        registry.delete_value(op["path"], op["name"])
        except (RegistryError, ValueError, KeyError, TypeError) as exc:
            raise ControlError(400, f"registry edit failed: {exc}") from exc
    return {"applied": len(ops)}


def gp_refresh(host) -> dict:
    """A Group Policy refresh, by "someone else": the local Registry.pol is applied first,
    then the host's domain GPO values are written again (they take precedence)."""
    with host.lock:
        state = host.state
        local = group_policy.refresh_local_policy(state)
        with state.registry.as_external_actor():
            for value in state.gpo_values:
                state.registry.set_json_value(
                    value["path"], value["name"], value["type"], value["data"]
                )
    return {"refreshed": host.name, "applied": len(state.gpo_values), "local_policy": local}


def read_file(host, path: str | None) -> dict:
    """One file's bytes (base64) and SHA-256, or every file's path, size and hash."""
    with host.lock:
        files = host.state.files
        try:
            if path is not None:
                return describe(files.stored_path(path), files.peek(path))
            listing = [
                {k: v for k, v in describe(p, files.peek(p)).items() if k != "data"}
                for p in files.paths()
            ]
        except (FileStoreError, ValueError) as exc:
            raise ControlError(400, f"file read failed: {exc}") from exc
        return {"files": listing, "writes": files.writes, "faults": files.faults.to_json()}


def put_file(host, body) -> dict:
    """Seed a file as someone else: {path, data: base64 or null (remove)}; not a module write."""
    if not isinstance(body, dict) or set(body) != {"path", "data"}:
        raise ControlError(400, "PUT /hosts/HOST/files needs {path, data (base64 or null)}")
    try:
        data = None if body["data"] is None else base64.b64decode(body["data"], validate=True)
        with host.lock:
            host.state.files.seed(body["path"], data)
    except (FileStoreError, ValueError, TypeError) as exc:
        raise ControlError(400, f"file write failed: {exc}") from exc
    return read_file(host, body["path"])


def set_file_faults(host, body) -> dict:
    """Replace the host's file faults: {locked: {path: n|null} or [paths], torn_write: {path: k}}."""
    try:
        faults = FileFaults.from_json(body if isinstance(body, dict) else None)
    except (FileStoreError, ValueError, TypeError, AttributeError) as exc:
        raise ControlError(400, str(exc)) from exc
    with host.lock:
        host.state.files.faults = faults
    return faults.to_json()


def read_value(host, path: str, name: str) -> dict:
    with host.lock:
        try:
            value = host.state.registry.get_value(path, name)
        except (RegistryError, ValueError) as exc:
            raise ControlError(400, f"registry read failed: {exc}") from exc
    if value is None:
        return {"path": path, "name": name, "present": False}
    return {
        "path": path,
        "name": value.name,
        "present": True,
        "type": value.type,
        "data": data_to_json(value.type, value.data),
    }


def reset_host(server, host) -> dict:
    server.fleet.reseed(host)
    clear_faults(server, host)
    return {"reset": host.name}


# ------------------------------------------------------------------ routing

_HOST = r"/hosts/(?P<host>[^/]+)"
ROUTES: list[tuple[str, re.Pattern, str]] = [
    ("GET", re.compile(r"^/health$"), "health"),
    ("GET", re.compile(r"^/hosts$"), "list_hosts"),
    ("GET", re.compile(rf"^{_HOST}$"), "get_host"),
    ("GET", re.compile(rf"^{_HOST}/counters$"), "get_counters"),
    ("DELETE", re.compile(rf"^{_HOST}/counters$"), "reset_counters"),
    ("GET", re.compile(r"^/counters$"), "all_counters"),
    ("DELETE", re.compile(r"^/counters$"), "reset_all_counters"),
    ("GET", re.compile(rf"^{_HOST}/registry$"), "get_value"),
    ("POST", re.compile(rf"^{_HOST}/registry$"), "edit_registry"),
    ("PUT", re.compile(rf"^{_HOST}/registry$"), "put_value"),
    ("DELETE", re.compile(rf"^{_HOST}/registry$"), "delete_value"),
    ("GET", re.compile(rf"^{_HOST}/faults$"), "get_faults"),
    ("POST", re.compile(rf"^{_HOST}/faults$"), "post_faults"),
    ("DELETE", re.compile(rf"^{_HOST}/faults$"), "delete_faults"),
    ("POST", re.compile(r"^/faults$"), "post_all_faults"),
    ("DELETE", re.compile(r"^/faults$"), "delete_all_faults"),
    ("POST", re.compile(rf"^{_HOST}/gp-refresh$"), "gp_refresh"),
    ("GET", re.compile(rf"^{_HOST}/files$"), "get_files"),
    ("PUT", re.compile(rf"^{_HOST}/files$"), "put_file"),
    ("POST", re.compile(rf"^{_HOST}/file-faults$"), "post_file_faults"),
    ("POST", re.compile(rf"^{_HOST}/reset$"), "reset_one"),
    ("POST", re.compile(r"^/reset$"), "reset_all"),
    ("POST", re.compile(r"^/save$"), "save"),
    ("POST", re.compile(r"^/shutdown$"), "shutdown"),
]


class ControlHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "winra-lab-control"

    def log_message(self, format: str, *args) -> None:
        log.debug("control %s", format % args)

    @property
    def lab(self):
        return self.server.lab_server

    def _send(self, status: int, payload) -> None:
        body = json.dumps(payload, indent=1, sort_keys=True).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if not length:
            return None
        try:
            return json.loads(self.rfile.read(length).decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ControlError(400, f"the body is not JSON: {exc}") from exc

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        self.query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        try:
            body = self._body()
            for route_method, pattern, name in ROUTES:
                match = pattern.match(url.path.rstrip("/") or "/")
                if match and route_method == method:
                    params = match.groupdict()
                    if "host" in params:
                        try:
                            params["host"] = self.lab.fleet.host(params["host"])
                        except KeyError as exc:
                            raise ControlError(404, str(exc.args[0])) from exc
                    self._send(200, getattr(self, f"route_{name}")(body, **params))
                    return
            raise ControlError(404, f"no endpoint {method} {url.path}")
        except ControlError as exc:
            self._send(exc.status, {"error": str(exc)})
        except Exception as exc:
            log.exception("control request failed")
            self._send(500, {"error": f"{type(exc).__name__}: {exc}"})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    # ------------------------------------------------------------ endpoints

    def route_health(self, _body):
        return {"ok": True, "hosts": len(self.lab.fleet.hosts)}

    def route_list_hosts(self, _body):
        return [
            {**h.summary(), "listening": self.lab.is_listening(h.name)}
            for h in self.lab.fleet.hosts
        ]

    def route_get_host(self, _body, host):
        return {**host.dump(), "listening": self.lab.is_listening(host.name)}

    def route_get_counters(self, _body, host):
        return host.counters_snapshot()

    def route_reset_counters(self, _body, host):
        host.reset_counters()
        return host.counters_snapshot()

    def route_all_counters(self, _body):
        return {h.name: h.counters_snapshot() for h in self.lab.fleet.hosts}

    def route_reset_all_counters(self, _body):
        for host in self.lab.fleet.hosts:
            host.reset_counters()
        return {"reset": len(self.lab.fleet.hosts)}

    def route_get_value(self, _body, host):
        if "path" not in self.query or "name" not in self.query:
            raise ControlError(400, "GET /hosts/HOST/registry needs ?path=...&name=...")
        return read_value(host, self.query["path"], self.query["name"])

    def route_edit_registry(self, body, host):
        ops = body.get("ops") if isinstance(body, dict) and "ops" in body else body
        return edit_registry(host, ops if isinstance(ops, list) else [ops])

    def route_put_value(self, body, host):
        if not isinstance(body, dict):
            raise ControlError(400, "PUT /hosts/HOST/registry needs {path, name, type, data}")
        return edit_registry(host, [{**body, "op": "set"}])

    def route_delete_value(self, body, host):
        spec = body if isinstance(body, dict) else self.query
        return edit_registry(host, [{"op": "delete", **spec}])

    def route_get_faults(self, _body, host):
        return faults_of(host)

    def route_post_faults(self, body, host):
        return set_faults(self.lab, host, body)

    def route_delete_faults(self, _body, host):
        return clear_faults(self.lab, host)

    def _targets(self, body):
        names = body.pop("hosts", None) if isinstance(body, dict) else None
        if names is None:
            return self.lab.fleet.hosts
        try:
            return [self.lab.fleet.host(n) for n in names]
        except KeyError as exc:
            raise ControlError(404, str(exc.args[0])) from exc

    def route_post_all_faults(self, body):
        hosts = self._targets(body)
        return {h.name: set_faults(self.lab, h, dict(body)) for h in hosts}

    def route_delete_all_faults(self, body):
        return {h.name: clear_faults(self.lab, h) for h in self._targets(body)}

    def route_gp_refresh(self, _body, host):
        return gp_refresh(host)

    def route_get_files(self, _body, host):
        return read_file(host, self.query.get("path"))

    def route_put_file(self, body, host):
        return put_file(host, body)

    def route_post_file_faults(self, body, host):
        return set_file_faults(host, body)

    def route_reset_one(self, _body, host):
        return reset_host(self.lab, host)

    def route_reset_all(self, body):
        hosts = self._targets(body)
        for host in hosts:
            reset_host(self.lab, host)
        return {"reset": len(hosts)}

    def route_save(self, _body):
        if self.lab.fleet.state_dir is None:
            raise ControlError(409, "the lab was started without --state-dir; nothing to save to")
        return {"saved": self.lab.fleet.save(), "state_dir": str(self.lab.fleet.state_dir)}

    def route_shutdown(self, _body):
        saved = self.lab.fleet.save() if self.lab.fleet.state_dir else 0
        # Stop after this answer has been sent: stop() waits for the control loop.
        threading.Timer(0.05, self.lab.stop).start()
        return {"stopping": True, "saved": saved}
