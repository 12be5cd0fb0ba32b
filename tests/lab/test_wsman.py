"""WS-Management parsing and rendering, checked against pywinrm's own message builders and parsers."""

from __future__ import annotations

import base64
import contextlib
import uuid
import xml.etree.ElementTree as ET

import pytest
import winrm
import xmltodict
from winrm.protocol import xmlns

from winra_lab.wire import wsman


class Capture(winrm.Protocol):
    """A pywinrm Protocol whose messages are captured instead of sent."""

    def __init__(self, reply: bytes = b"") -> None:
        super().__init__("http://127.0.0.1:1/wsman", transport="basic", username="u", password="p")
        self.sent: list[str] = []
        self.reply = reply

    def send_message(self, message):
        self.sent.append(message)
        return self.reply


def _captured(call) -> wsman.WsmanRequest:
    proto = Capture()
    # The empty reply cannot be parsed; the request was captured before that.
    with contextlib.suppress(Exception):
        call(proto)
    return wsman.parse_request(proto.sent[-1].encode())


def test_create_request_is_parsed_with_options():
    request = _captured(lambda p: p.open_shell(codepage=65001))
    assert request.action == "Create"
    assert request.resource_uri == wsman.SHELL_RESOURCE_URI
    assert request.options["WINRS_CODEPAGE"] == "65001"
    assert request.operation_timeout_s == 20
    assert request.message_id.startswith("uuid:")


def test_command_request_carries_command_and_arguments():
    request = _captured(
        lambda p: p.run_command(
            "SHELL-1", "PowerShell", ["-EncodedCommand", "QQA="], console_mode_stdin=False
        )
    )
    assert (request.action, request.shell_id) == ("Command", "SHELL-1")
    assert request.command == "PowerShell"
    assert request.arguments == "-EncodedCommand QQA="
    assert request.options["WINRS_CONSOLEMODE_STDIN"] == "FALSE"


@pytest.mark.parametrize("end", [True, False])
def test_send_request_decodes_stdin_and_end(end):
    request = _captured(lambda p: p.send_command_input("S", "C", b"\x00data\xff", end=end))
    assert (request.action, request.command_id) == ("Send", "C")
    assert request.stdin == b"\x00data\xff"
    assert request.stdin_end is end


def test_receive_signal_and_delete_requests():
    receive = _captured(lambda p: p.get_command_output_raw("S", "C"))
    assert (receive.action, receive.shell_id, receive.command_id) == ("Receive", "S", "C")
    signal = _captured(lambda p: p.cleanup_command("S", "C"))
    assert (signal.action, signal.command_id, signal.signal_code) == (
        "Signal",
        "C",
        wsman.SIGNAL_TERMINATE,
    )
    delete = _captured(lambda p: p.close_shell("S"))
    assert (delete.action, delete.shell_id) == ("Delete", "S")


def test_namespace_prefixes_chosen_by_the_client_do_not_matter():
    body = f"""<e:Envelope xmlns:e="{wsman.SOAP}" xmlns:q="{wsman.ADDRESSING}" xmlns:m="{wsman.WSMAN}">
      <e:Header><q:Action>{wsman.TRANSFER}/Delete</q:Action><q:MessageID>uuid:1</q:MessageID>
      <m:SelectorSet><m:Selector Name="ShellId">X</m:Selector></m:SelectorSet></e:Header><e:Body/></e:Envelope>"""
    request = wsman.parse_request(body.encode())
    assert (request.action, request.shell_id, request.message_id) == ("Delete", "X", "uuid:1")


@pytest.mark.parametrize(
    "body",
    [b"not xml", b"<a/>", f'<s:Envelope xmlns:s="{wsman.SOAP}"><s:Header/></s:Envelope>'.encode()],
)
def test_malformed_requests_raise(body):
    with pytest.raises(wsman.WsmanParseError):
        wsman.parse_request(body)


@pytest.mark.parametrize(
    ("text", "seconds"), [("PT20S", 20), ("PT20.000S", 20), ("PT1M30S", 90), ("bad", None)]
)
def test_durations(text, seconds):
    assert wsman.parse_duration(text) == seconds


def _reply_proto(reply: bytes) -> Capture:
    return Capture(reply)


def test_create_reply_gives_pywinrm_the_shell_id():
    assert (
        _reply_proto(wsman.render_create("uuid:1", "SHELL-9", "http://x/wsman")).open_shell()
        == "SHELL-9"
    )


def test_command_reply_gives_pywinrm_the_command_id():
    assert _reply_proto(wsman.render_command("uuid:1", "CMD-3")).run_command("S", "x") == "CMD-3"


def test_receive_reply_done_carries_streams_and_exit_code():
    reply = wsman.render_receive("uuid:1", "C", b"out\n", b"err", 3)
    assert _reply_proto(reply).get_command_output_raw("S", "C") == (b"out\n", b"err", 3, True)


def test_receive_reply_running_is_not_done():
    reply = wsman.render_receive("uuid:1", "C", b"", b"", None)
    assert _reply_proto(reply).get_command_output_raw("S", "C")[3] is False


def test_signal_and_delete_replies_echo_the_message_id():
    message_id = uuid.uuid4()
    root = ET.fromstring(wsman.render_signal(f"uuid:{message_id}"))
    relates = next(n for n in root.iter() if n.tag.endswith("RelatesTo")).text
    assert uuid.UUID(relates.replace("uuid:", "")) == message_id
    assert b"DeleteResponse" in wsman.render_delete("uuid:1")


def test_timeout_fault_is_what_pywinrm_retries_on():
    root = ET.fromstring(wsman.render_fault("uuid:1", wsman.timed_out()))
    fault = root.find("soapenv:Body/soapenv:Fault", xmlns)
    code = fault.find("soapenv:Detail/wsmanfault:WSManFault[@Code]", xmlns).attrib["Code"]
    assert int(code) == 2150858793
    assert fault.find("soapenv:Code/soapenv:Subcode/soapenv:Value", xmlns).text == "w:TimedOut"


def test_rendered_stdout_is_base64_of_the_bytes():
    doc = xmltodict.parse(wsman.render_receive("uuid:1", "C", "ü".encode(), b"", 0))
    streams = doc["s:Envelope"]["s:Body"]["rsp:ReceiveResponse"]["rsp:Stream"]
    assert base64.b64decode(streams[0]["#text"]) == "ü".encode()
