"""WinRM message encryption over HTTP ([MS-WSMV] 2.2.9.1.1, SPNEGO session encryption).

After NTLM authenticates a connection, every SOAP message travels as a MIME-like
`multipart/encrypted` body: a header part stating the plain length, then an
`application/octet-stream` part holding a 4-byte little-endian signature length, the
signature and the sealed message, then the closing boundary:

    --Encrypted Boundary\\r\\n
    \\tContent-Type: application/HTTP-SPNEGO-session-encrypted\\r\\n
    \\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\\r\\n
    --Encrypted Boundary\\r\\n
    \\tContent-Type: application/octet-stream\\r\\n
    <len><signature><sealed message>--Encrypted Boundary--\\r\\n

NTLM seals with RC4, so the sealed message is exactly N bytes; the parser takes lengths
from the framing rather than searching for boundaries inside binary data.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

PROTOCOL = "application/HTTP-SPNEGO-session-encrypted"
BOUNDARY = b"--Encrypted Boundary"
CONTENT_TYPE = f'multipart/encrypted;protocol="{PROTOCOL}";boundary="Encrypted Boundary"'
ORIGINAL_TYPE = "application/soap+xml;charset=UTF-8"

_LENGTH = re.compile(rb"OriginalContent:\s*type=[^\r\n]*?;\s*Length=(\d+)", re.IGNORECASE)
_SIGNATURE_LENGTH = struct.Struct("<I")
_MAX_SIGNATURE = 1024

Seal = Callable[[bytes], tuple[bytes, bytes]]  # plain -> (signature, sealed)
Unseal = Callable[[bytes, bytes], bytes]  # (signature, sealed) -> plain


class MalformedEncryptedMessage(ValueError):
    pass


def is_encrypted(content_type: str | None) -> bool:
    """True for a body that this connection's session key must unseal."""
    if not content_type:
        return False
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind == "multipart/encrypted" and PROTOCOL.lower() in content_type.lower()


def seal_message(message: bytes, seal: Seal) -> bytes:
    """The HTTP body carrying `message` encrypted."""
    signature, sealed = seal(message)
    return b"".join(
        (
            BOUNDARY + b"\r\n",
            b"\tContent-Type: " + PROTOCOL.encode() + b"\r\n",
            f"\tOriginalContent: type={ORIGINAL_TYPE};Length={len(message)}\r\n".encode(),
            BOUNDARY + b"\r\n",
            b"\tContent-Type: application/octet-stream\r\n",
            _SIGNATURE_LENGTH.pack(len(signature)),
            signature,
            sealed,
            BOUNDARY + b"--\r\n",
        )
    )


def unseal_message(body: bytes, unseal: Unseal) -> bytes:
    """The plain message in an encrypted HTTP body (one or more encrypted parts)."""
    opening = BOUNDARY + b"\r\n"
    position, plain = 0, []
    while body.startswith(opening, position):
        header_end = body.find(opening, position + len(opening))
        if header_end < 0:
            raise MalformedEncryptedMessage("no data part after the encrypted header part")
        match = _LENGTH.search(body, position, header_end)
        if not match:
            raise MalformedEncryptedMessage("the header part states no OriginalContent Length")
        length = int(match.group(1))
        data_start = body.find(b"\r\n", header_end + len(opening)) + 2  # after its Content-Type
        if data_start < 2 or data_start + _SIGNATURE_LENGTH.size > len(body):
            raise MalformedEncryptedMessage("the data part is truncated")
        (signature_length,) = _SIGNATURE_LENGTH.unpack_from(body, data_start)
        signature_start = data_start + _SIGNATURE_LENGTH.size
        sealed_start = signature_start + signature_length
        sealed_end = sealed_start + length
        if signature_length > _MAX_SIGNATURE or sealed_end > len(body):
            raise MalformedEncryptedMessage("the data part is shorter than its stated lengths")
        plain.append(unseal(body[signature_start:sealed_start], body[sealed_start:sealed_end]))
        position = sealed_end
        if len(plain[-1]) != length:
            raise MalformedEncryptedMessage("the unsealed length differs from the stated one")
    if not plain or not body.startswith(BOUNDARY + b"--", position):
        raise MalformedEncryptedMessage("not a multipart/encrypted body with a closing boundary")
    return b"".join(plain)
