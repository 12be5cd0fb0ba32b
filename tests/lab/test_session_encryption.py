"""The multipart/encrypted framing of WinRM messages, with a stand-in cipher."""

from __future__ import annotations

import pytest

from winra_lab.wire.session_encryption import (
    CONTENT_TYPE,
    MalformedEncryptedMessage,
    is_encrypted,
    seal_message,
    unseal_message,
)

SIGNATURE = b"S" * 16


def xor_seal(data: bytes) -> tuple[bytes, bytes]:
    return SIGNATURE, bytes(b ^ 0x5A for b in data)


def xor_unseal(signature: bytes, sealed: bytes) -> bytes:
    assert signature == SIGNATURE
    return bytes(b ^ 0x5A for b in sealed)


def test_round_trip_and_layout():
    message = b"<s:Envelope>" + bytes(range(256)) + b"--Encrypted Boundary\r\n</s:Envelope>"
    body = seal_message(message, xor_seal)
    assert body.startswith(b"--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO")
    assert f"Length={len(message)}\r\n".encode() in body
    assert b"\tContent-Type: application/octet-stream\r\n\x10\x00\x00\x00" + SIGNATURE in body
    assert body.endswith(b"--Encrypted Boundary--\r\n")
    assert b"Envelope" not in body
    # A boundary inside the sealed bytes does not confuse the parser: it counts lengths.
    assert unseal_message(body, xor_unseal) == message


def test_several_parts_are_joined():
    first, second = seal_message(b"one ", xor_seal), seal_message(b"two", xor_seal)
    closing = b"--Encrypted Boundary--\r\n"
    assert unseal_message(first[: -len(closing)] + second, xor_unseal) == b"one two"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<s:Envelope/>",
        b"--Encrypted Boundary\r\n\tContent-Type: x\r\n",
        seal_message(b"hello", xor_seal).replace(b"Length=5", b"Length=50"),
        seal_message(b"hello", xor_seal).replace(b"Length=5", b"Lenght=5"),
        seal_message(b"hello", xor_seal)[:-10],
    ],
)
def test_malformed_bodies_are_refused(body):
    with pytest.raises(MalformedEncryptedMessage):
        unseal_message(body, xor_unseal)


def test_content_type_recognised():
    assert is_encrypted(CONTENT_TYPE)
    assert is_encrypted('multipart/encrypted; protocol="application/HTTP-SPNEGO-session-encrypted"')
    assert not is_encrypted("application/soap+xml;charset=UTF-8")
    assert not is_encrypted(
        'multipart/encrypted;protocol="application/HTTP-CredSSP-session-encrypted"'
    )
    assert not is_encrypted(None)
