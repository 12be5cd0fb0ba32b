"""The lab's credentials and HTTP Basic authentication as the WinRM service answers it.

A lab speaks one scheme (`AUTH_SCHEMES`): Basic over plain HTTP
(`ansible_winrm_transport=basic`, the default) or NTLM with message encryption
(`ntlm_auth.py`). A rejected request gets the same 401 challenge Windows sends, which
pywinrm turns into InvalidCredentialsError.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import secrets
from dataclasses import dataclass

DEFAULT_USER = "lab-admin"
AUTH_SCHEMES = ("basic", "ntlm")

# Windows offers Negotiate first, then Basic when Basic is enabled on the service.
CHALLENGE_HEADERS = (
    ("WWW-Authenticate", "Negotiate"),
    ("WWW-Authenticate", 'Basic realm="WSMAN"'),
)


def generate_password() -> str:
    # Letters, digits and a symbol: the shape a Windows password policy accepts.
    return f"Lab-{secrets.token_urlsafe(12)}!"


@dataclass(frozen=True)
class Credentials:
    user: str
    password: str

    def accepts(self, authorization: str | None) -> bool:
        """True when the Authorization header carries these credentials."""
        if not authorization:
            return False
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return False
        user, sep, password = decoded.partition(":")
        if not sep:
            return False
        # Windows compares user names case-insensitively and may carry a ".\" or "HOST\".
        user = user.rsplit("\\", 1)[-1]
        return hmac.compare_digest(user.lower().encode(), self.user.lower().encode()) and (
            hmac.compare_digest(password.encode(), self.password.encode())
        )
