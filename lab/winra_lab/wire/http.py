"""The HTTP face of one emulated host's WinRM service (`POST /wsman`).

One handler instance serves one TCP connection (HTTP/1.1 keep-alive, Nagle off) for the
host whose listening socket accepted it. It authenticates (Basic per request, or NTLM once
per connection, then unseals each request and seals its reply), counts, applies wire
faults and hands the parsed message to `winrs.handle`, or to `psrp_service.handle` for
the PowerShell resource URI.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import socket
import time
from http.server import BaseHTTPRequestHandler

from winra_lab.wire import ntlm_auth, psrp_service, session_encryption, winrs, wsman
from winra_lab.wire.auth import CHALLENGE_HEADERS, Credentials
from winra_lab.wire.ntlm_auth import NtlmConnection, NtlmCredentialFile, NtlmRejected

log = logging.getLogger(__name__)

SOAP_CONTENT_TYPE = "application/soap+xml;charset=UTF-8"
MAX_BODY = 16 * 1024 * 1024


class ConnectionContext:
    """What a connection's handler needs: its host and the credentials.

    `ntlm_store` set means the host speaks NTLM (with message encryption) instead of Basic.
    """

    def __init__(
        self,
        host,
        credentials: Credentials,
        ntlm_store: NtlmCredentialFile | None = None,
    ) -> None:
        self.host = host
        self.credentials = credentials
        self.ntlm_store = ntlm_store


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

    def setup(self) -> None:
        super().setup()
        store = self.server.ntlm_store
        self._ntlm = NtlmConnection(store) if store is not None else None
        self._seal_reply = False  # set per request: an encrypted request gets an encrypted reply
        self._final_token: str | None = None  # SPNEGO's last token, sent with the next reply

    # ------------------------------------------------------------------ plumbing

    def _finish(self, status: int, body: bytes, extra_headers=()) -> None:
        host = self.server.host
        content_type = SOAP_CONTENT_TYPE
        if self._seal_reply and body:
            body = session_encryption.seal_message(body, self._ntlm.seal)
            content_type = session_encryption.CONTENT_TYPE
        self.send_response(status)
        for name, value in extra_headers:
            self.send_header(name, value)
        if self._final_token is not None and status != 401:
            self.send_header("WWW-Authenticate", self._final_token)
            self._final_token = None
        if body or self._seal_reply:
            # pywinrm reads Content-Type on every reply once it encrypts, even an empty one.
            self.send_header("Content-Type", content_type)
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
        self._seal_reply = False
        body = self._read_body()
        if body is None:
            return
        bytes_in = len(self.requestline) + 2 + len(str(self.headers)) + len(body)
        if self._ntlm is not None:
            body = self._authenticate_ntlm(body, bytes_in)
        elif not self.server.credentials.accepts(self.headers.get("Authorization")):
            host.counters.auth_failure()
            host.counters.request("Unauthorized", bytes_in)
            self._finish(401, b"", CHALLENGE_HEADERS)
            return
        if body is None:
            return
        if self.path.split("?", 1)[0].rstrip("/").lower() != "/wsman":
            host.counters.request("NotFound", bytes_in)
            self._finish(404, b"")
            return
        try:
            request = wsman.parse_request(body)
        except wsman.WsmanParseError as exc:
            host.counters.request("Invalid", bytes_in)
            self._finish(400, wsman.render_fault("", wsman.bad_request(str(exc)), host.name))
            return
        host.counters.request(request.action, bytes_in)

        if faults.matches(faults.http_500_on, request.action):
            faults.consume()
            host.counters.fault()
            self._finish(500, b"")
            return

        self._wait((host.latency.request_ms + faults.slow_ms) / 1000.0)
        # The resource URI picks the shell: WinRS `cmd`, or a PowerShell configuration (PSRP).
        service = psrp_service if psrp_service.serves(request.resource_uri) else winrs
        try:
            status, answer = 200, service.handle(host, request)
        except winrs.WsmanFault as exc:
            status, answer = 500, wsman.render_fault(request.message_id, exc.fault, host.name)

        if faults.matches(faults.drop_connection_on, request.action):
            # The work is done (a command did run) but its answer never arrives.
            faults.consume()
            host.counters.fault()
            self._drop()
            return
        self._finish(status, answer)

    def _authenticate_ntlm(self, body: bytes, bytes_in: int) -> bytes | None:
        """The plain request body, or None once this request has been answered.

        The handshake (401 Negotiate, 401 with the server's challenge, then the client's
        answer) runs on this connection; the connection stays authenticated afterwards.
        """
        host = self.server.host
        authorization = self.headers.get("Authorization")
        if authorization:
            parsed = ntlm_auth.parse_authorization(authorization)
            try:
                if parsed is None:
                    raise NtlmRejected("not a Negotiate or NTLM token")
                scheme, token = parsed
                answer = self._ntlm.step(token)
            except NtlmRejected as exc:
                log.debug("%s rejected NTLM: %s", host.name, exc)
                host.counters.auth_failure()
                host.counters.request("Unauthorized", bytes_in)
                self._finish(401, b"", ntlm_auth.CHALLENGE_HEADERS)
                return None
            if not self._ntlm.authenticated:
                host.counters.request("Negotiate", bytes_in)
                challenge = base64.b64encode(answer or b"").decode()
                self._finish(401, b"", (("WWW-Authenticate", f"{scheme} {challenge}"),))
                return None
            if answer:
                self._final_token = f"{scheme} {base64.b64encode(answer).decode()}"
        elif not self._ntlm.authenticated:
            # The client's first request: it learns which schemes the service offers.
            host.counters.request("Unauthorized", bytes_in)
            self._finish(401, b"", ntlm_auth.CHALLENGE_HEADERS)
            return None
        if not body:
            # pywinrm authenticates with an empty POST before it encrypts anything.
            host.counters.request("Authenticated", bytes_in)
            self._finish(200, b"")
            return None
        if not session_encryption.is_encrypted(self.headers.get("Content-Type")):
            return body  # AllowUnencrypted is true on the lab's service, as Basic needs
        try:
            plain = session_encryption.unseal_message(body, self._ntlm.unseal)
        except (session_encryption.MalformedEncryptedMessage, NtlmRejected) as exc:
            # The sequence numbers are out of step now: nothing more can be read here.
            host.counters.request("Invalid", bytes_in)
            self._finish(400, b"")
            self.close_connection = True
            log.debug("%s could not unseal a request: %s", host.name, exc)
            return None
        host.counters.encrypted_request()
        self._seal_reply = True
        return plain
