"""NTLM authentication as the WinRM service answers it (`ansible_winrm_transport=ntlm`,
`ansible_psrp_auth=negotiate` or `ntlm`).

Windows accepts NTLM both bare (pywinrm, pypsrp's `ntlm`) and wrapped in SPNEGO
(pypsrp's `negotiate`); pyspnego's Negotiate acceptor takes either. SPNEGO ends with a
server token (accept-completed, with the mechListMIC) that the client must receive
before it trusts the context: Windows sends it in WWW-Authenticate on the first 200.

pyspnego's NTLM acceptor checks the client's answer against a credential file named by
the NTLM_USER_FILE environment variable (`DOMAIN:USER:PASSWORD` lines). The lab writes
its own credentials to a private file (mode 0600 in a 0700 directory) and points the
variable at it while an acceptor reads it. The variable is process-wide, so every
acceptor step that may read it holds one lock: labs in one process never see each
other's file.

One `NtlmConnection` belongs to one TCP connection: NTLM authenticates the connection,
and its sealing keys and sequence numbers encrypt that connection's messages only.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import os
import shutil
import tempfile
import threading
from pathlib import Path

import spnego
from spnego.exceptions import SpnegoError

from winra_lab.wire.auth import Credentials

CREDENTIAL_ENV = "NTLM_USER_FILE"
SCHEMES = ("Negotiate", "NTLM")

# Windows offers Negotiate (and Kerberos, which the lab cannot do); NTLM runs inside it.
CHALLENGE_HEADERS = (("WWW-Authenticate", "Negotiate"),)

_CREDENTIAL_ENV_LOCK = threading.Lock()


class NtlmRejected(Exception):
    """The client's token is malformed or its credentials are wrong."""


class NtlmCredentialFile:
    """The lab's user in pyspnego's credential file format, readable by this user only."""

    def __init__(self, credentials: Credentials, host_names: list[str]) -> None:
        self._directory = Path(tempfile.mkdtemp(prefix="winra-lab-ntlm-"))  # mode 0700
        self.path = self._directory / "ntlm_users"
        # The domain part must match what the client sends: nothing, ".", or the host's
        # NetBIOS name (`lab-admin`, `.\lab-admin`, `WS001\lab-admin` all work on Windows).
        domains = ["", ".", *(name.split(".", 1)[0].upper() for name in host_names)]
        lines = "".join(
            f"{domain}:{credentials.user}:{credentials.password}\n" for domain in domains
        )
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(lines)

    def remove(self) -> None:
        with _CREDENTIAL_ENV_LOCK:
            if os.environ.get(CREDENTIAL_ENV) == str(self.path):
                del os.environ[CREDENTIAL_ENV]
        shutil.rmtree(self._directory, ignore_errors=True)

    @contextlib.contextmanager
    def active(self):
        """Hold the lock and point NTLM_USER_FILE at this file."""
        with _CREDENTIAL_ENV_LOCK:
            if os.environ.get(CREDENTIAL_ENV) != str(self.path):
                os.environ[CREDENTIAL_ENV] = str(self.path)
            yield


def parse_authorization(header: str | None) -> tuple[str, bytes] | None:
    """(scheme as the client spelled it, token) for a Negotiate/NTLM header, else None."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() not in (s.lower() for s in SCHEMES) or not token.strip():
        return None
    try:
        return scheme, base64.b64decode(token.strip(), validate=True)
    except binascii.Error:
        return None


class NtlmConnection:
    """The NTLM state of one TCP connection: handshake, then seal and unseal."""

    def __init__(self, store: NtlmCredentialFile) -> None:
        self._store = store
        self._context = None

    @property
    def authenticated(self) -> bool:
        return self._context is not None and self._context.complete

    def step(self, token: bytes) -> bytes | None:
        """Feed one client token; the server token to send back, if any.

        Once `authenticated`, a returned token is SPNEGO's final one: it goes with the
        reply to this request (bare NTLM has none).

        A token arriving on an authenticated connection starts a new handshake, as
        Windows does. Raises NtlmRejected for a bad token or wrong credentials; the
        connection is then unauthenticated.
        """
        try:
            with self._store.active():
                if self._context is None or self._context.complete:
                    self._context = spnego.server(service="HTTP", protocol="negotiate")
                answer = self._context.step(token)
        except Exception as exc:
            # pyspnego raises its own errors for wrong answers, and whatever its message
            # parsers hit (struct, index, value errors) for junk: all mean "rejected".
            self._context = None
            raise NtlmRejected(str(exc)) from exc
        return answer

    def seal(self, data: bytes) -> tuple[bytes, bytes]:
        """(signature, sealed data) for one outgoing message."""
        result = self._context.wrap_winrm(data)
        return result.header, result.data

    def unseal(self, signature: bytes, sealed: bytes) -> bytes:
        """The plain message; raises NtlmRejected when the signature does not verify."""
        try:
            return self._context.unwrap_winrm(signature, sealed)
        except SpnegoError as exc:
            raise NtlmRejected(str(exc)) from exc
