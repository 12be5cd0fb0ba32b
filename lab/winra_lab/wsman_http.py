"""The HTTP face of one emulated host's WinRM service (`POST /wsman`).

One handler instance serves one TCP connection (HTTP/1.1 keep-alive, Nagle off) for the
host whose listening socket accepted it. It authenticates, counts, applies wire faults
and hands the parsed message to `winrs.handle`.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from http.server import BaseHTTPRequestHandler

from winra_lab import winrs, wsman
from winra_lab.auth import CHALLENGE_HEADERS, Credentials

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
MAX_BODY = 16 * 1024 * 1024


class ConnectionContext:
    """What a connection's handler needs: its host, the credentials, and the server."""

    def __init__(self, host, credentials: Credentials, on_close=None) -> None:
        self.host = host
        self.credentials = credentials
        self.on_close = on_close


class WsmanHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: pywinrm reuses its connection
    disable_nagle_algorithm = True  # without TCP_NODELAY every request waits ~40 ms
    timeout = 300  # idle keep-alive connections end eventually
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""

    server: ConnectionContext  # set by BaseRequestHandler.__init__

    def log_message(self, format: str, *args) -> None:
        log.debug("%s %s", self.server.host.name, format % args)

    def version_string(self) -> str:
        return self.server_version

    # ------------------------------------------------------------------ plumbing

    def _finish(self, status: int, body: bytes, extra_headers=()) -> None:
        host = self.server.host
        self.send_response(status)
        for name, value in extra_headers:
            self.send_header(name, value)
        if body:
            self.send_header("Content-Type", SOAP_CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        header_bytes = sum(len(chunk) for chunk in getattr(self, "_headers_buffer", []))
        self.end_headers()
        if body:
            self.wfile.write(body)
        host.counters.response(header_bytes + 2 + len(body))

    def _drop(self) -> None:
        """Close the TCP connection without an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _wait(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    # ------------------------------------------------------------------ methods

    def do_GET(self) -> None:
        self._read_body()
        self._finish(405, b"", (("Allow", "POST"),))

    def _read_body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self._finish(400, b"")
            self.close_connection = True
            return None
        return self.rfile.read(length) if length else b""

    def do_POST(self) -> None:
        host = self.server.host
        faults = host.wire_faults
        if faults.refuse_connections:
            host.counters.fault()
            self._drop()
            return
        body = self._read_body()
        if body is None:
            return
        header_size = len(self.requestline) + 2 + len(str(self.headers))
        if not self.server.credentials.accepts(self.headers.get("Authorization")):
            host.counters.auth_failure()
            host.counters.request("Unauthorized", header_size + len(body))
            self._finish(401, b"", CHALLENGE_HEADERS)
            return
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            host.counters.request("NotFound", header_size + len(body))
            self._finish(404, b"")
            return
        try:
            request = wsman.parse_request(body)
        except wsman.WsmanParseError as exc:
            host.counters.request("Invalid", header_size + len(body))
            self._finish(400, wsman.render_fault("", wsman.bad_request(str(exc)), host.name))
            return
        host.counters.request(request.action, header_size + len(body))

        if faults.matches(faults.http_500_on, request.action):
            faults.consume()
            host.counters.fault()
            self._finish(500, b"")
            return

        self._wait((host.latency.request_ms + faults.slow_ms) / 1000.0)
        try:
            status, answer = 200, winrs.handle(host, request)
        except winrs.WsmanFault as exc:
            status, answer = 500, wsman.render_fault(request.message_id, exc.fault, host.name)

        if faults.matches(faults.drop_connection_on, request.action):
            # The work is done (a command did run) but its answer never arrives.
            faults.consume()
            host.counters.fault()
            self._drop()
            return
        self._finish(status, answer)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self.server.on_close:
                self.server.on_close(self.connection)
