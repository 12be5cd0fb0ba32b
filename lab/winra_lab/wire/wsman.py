"""WS-Management SOAP messages of the WinRS shell, as pywinrm and Windows exchange them.

PowerShell Remoting (pypsrp) uses the same messages on another resource URI; parsing also
keeps what it adds (creationXml, the client's ShellId and CommandId, stream names,
MaxEnvelopeSize), and `psrp.py` renders its replies with `render_envelope`.

Parsing turns a request envelope into a flat `WsmanRequest`; rendering builds the reply
envelopes Windows sends. Nothing here knows about hosts, sockets or modules.

Namespaces are resolved by URI, never by the prefix a client happened to choose.
"""

from __future__ import annotations

import base64
import re
import uuid
from dataclasses import dataclass, field

import xmltodict

SOAP = "http://www.w3.org/2003/05/soap-envelope"
ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
MS_WSMAN = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
WSMAN_FAULT = "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
POWERSHELL = "http://schemas.microsoft.com/powershell"  # PSRP's creationXml and connectXml

SHELL_RESOURCE_URI = f"{SHELL}/cmd"
ANONYMOUS = f"{ADDRESSING}/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
STATE_DONE = f"{SHELL}/CommandState/Done"
STATE_RUNNING = f"{SHELL}/CommandState/Running"
SIGNAL_TERMINATE = f"{SHELL}/signal/terminate"

# Request action URI -> (short name, reply action URI)
ACTIONS = {
    f"{TRANSFER}/Create": ("Create", f"{TRANSFER}/CreateResponse"),
    f"{SHELL}/Command": ("Command", f"{SHELL}/CommandResponse"),
    f"{SHELL}/Send": ("Send", f"{SHELL}/SendResponse"),
    f"{SHELL}/Receive": ("Receive", f"{SHELL}/ReceiveResponse"),
    f"{SHELL}/Signal": ("Signal", f"{SHELL}/SignalResponse"),
    f"{TRANSFER}/Delete": ("Delete", f"{TRANSFER}/DeleteResponse"),
}
REPLY_ACTION = {short: reply for short, reply in ACTIONS.values()}

# Prefixes used internally after namespace processing (the client's own prefixes vary).
_PREFIXES = {
    SOAP: "s",
    ADDRESSING: "a",
    TRANSFER: "x",
    WSMAN: "w",
    MS_WSMAN: "p",
    SHELL: "rsp",
    "http://www.w3.org/2001/XMLSchema-instance": "xsi",
    "http://www.w3.org/2001/XMLSchema": "xsd",
    POWERSHELL: "ps",
}

_DURATION = re.compile(r"^PT(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?$")


class WsmanParseError(ValueError):
    """The request is not a WS-Management message this service understands."""


@dataclass(frozen=True)
class Fault:
    """A WS-Management fault: the WSManFault code is what pywinrm inspects."""

    code: int
    subcode: str
    reason: str
    receiver: bool = True  # s:Receiver (the service) or s:Sender (the request)


def timed_out() -> Fault:
    return Fault(
        2150858793,
        "w:TimedOut",
        "The WS-Management service cannot complete the operation within the time "
        "specified in OperationTimeout.",
    )


def shell_not_found(shell_id: str) -> Fault:
    return Fault(
        2150858843,
        "w:InvalidSelectors",
        f"The request for the Windows Remote Shell with ShellId {shell_id} failed because "
        "the shell was not found on the server.",
        receiver=False,
    )


def command_not_found(command_id: str) -> Fault:
    return Fault(
        2150858843,
        "w:InvalidSelectors",
        f"The request for the command with CommandId {command_id} failed because the "
        "command was not found in the shell.",
        receiver=False,
    )


def bad_request(reason: str) -> Fault:
    return Fault(2150858817, "w:InvalidMessageInformationHeader", reason, receiver=False)


def unsupported_action(action: str) -> Fault:
    return Fault(
        2150858754,
        "a:ActionNotSupported",
        f"The WS-Management service does not support the action {action!r} in this lab.",
        receiver=False,
    )


@dataclass(frozen=True)
class WsmanRequest:
    action: str  # Create, Command, Send, Receive, Signal, Delete, or the URI when unknown
    message_id: str
    resource_uri: str = ""
    shell_id: str | None = None
    operation_timeout_s: float | None = None
    options: dict[str, str] = field(default_factory=dict)
    command_id: str | None = None
    command: str = ""
    arguments: str = ""
    stdin: bytes = b""
    stdin_end: bool = False
    signal_code: str = ""
    # What PowerShell Remoting (PSRP) adds to the same messages:
    max_envelope_size: int | None = None  # the client's w:MaxEnvelopeSize, in bytes
    requested_shell_id: str | None = None  # Create: the ShellId the client chose
    creation_xml: bytes = b""  # Create: the first PSRP fragments (base64-decoded)
    stream_name: str = ""  # Send: stdin, or pr (answers to host calls)
    desired_streams: str = ""  # Receive: e.g. "stdout" or "stdout stderr"


def _base64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise WsmanParseError(f"{what} is not base64: {exc}") from exc


def _text(node: object) -> str:
    if node is None:
        return ""
    if isinstance(node, dict):
        return str(node.get("#text", "") or "")
    return str(node)


def _as_list(node: object) -> list:
    if node is None:
        return []
    return node if isinstance(node, list) else [node]


def parse_duration(text: str) -> float | None:
    """`PT20S` / `PT20.000S` / `PT1M30S` -> seconds."""
    match = _DURATION.match(text.strip())
    if not match or not any(match.groups()):
        return None
    minutes, seconds = match.groups()
    return float(minutes or 0) * 60 + float(seconds or 0)


def parse_request(body: bytes) -> WsmanRequest:
    try:
        doc = xmltodict.parse(body, process_namespaces=True, namespaces=_PREFIXES)
    except Exception as exc:  # expat raises several types; all mean "not XML"
        raise WsmanParseError(f"the request body is not XML: {exc}") from exc
    envelope = doc.get("s:Envelope") if isinstance(doc, dict) else None
    if not isinstance(envelope, dict):
        raise WsmanParseError("the request is not a SOAP 1.2 envelope")
    header = envelope.get("s:Header") or {}
    body_node = envelope.get("s:Body") or {}
    if not isinstance(body_node, dict):
        body_node = {}

    action_uri = _text(header.get("a:Action"))
    action = ACTIONS.get(action_uri, (action_uri, ""))[0]
    message_id = _text(header.get("a:MessageID"))
    if not message_id:
        raise WsmanParseError("the request has no a:MessageID")

    shell_id = None
    for selector in _as_list((header.get("w:SelectorSet") or {}).get("w:Selector")):
        if isinstance(selector, dict) and selector.get("@Name") == "ShellId":
            shell_id = _text(selector)

    options = {}
    for option in _as_list((header.get("w:OptionSet") or {}).get("w:Option")):
        if isinstance(option, dict) and "@Name" in option:
            options[option["@Name"]] = _text(option)

    timeout = header.get("w:OperationTimeout")
    envelope_size = _text(header.get("w:MaxEnvelopeSize")).strip()
    fields: dict = {
        "action": action,
        "message_id": message_id,
        "resource_uri": _text(header.get("w:ResourceURI")),
        "shell_id": shell_id,
        "operation_timeout_s": parse_duration(_text(timeout)) if timeout else None,
        "options": options,
        "max_envelope_size": int(envelope_size) if envelope_size.isdigit() else None,
    }

    if action == "Create":
        shell = body_node.get("rsp:Shell") or {}
        if isinstance(shell, dict):
            fields["requested_shell_id"] = shell.get("@ShellId")
            creation = shell.get("ps:creationXml")
            if creation is not None:
                fields["creation_xml"] = _base64(_text(creation).strip(), "creationXml")
    elif action == "Command":
        line = body_node.get("rsp:CommandLine") or {}
        fields["command"] = _text(line.get("rsp:Command")).strip()
        fields["arguments"] = _text(line.get("rsp:Arguments")).strip()
        fields["command_id"] = line.get("@CommandId") if isinstance(line, dict) else None
    elif action == "Send":
        stream = (body_node.get("rsp:Send") or {}).get("rsp:Stream") or {}
        fields["command_id"] = stream.get("@CommandId")
        fields["stdin_end"] = str(stream.get("@End", "false")).lower() == "true"
        fields["stream_name"] = str(stream.get("@Name", "")) if isinstance(stream, dict) else ""
        fields["stdin"] = _base64(_text(stream), "the stdin stream")
    elif action == "Receive":
        stream = (body_node.get("rsp:Receive") or {}).get("rsp:DesiredStream") or {}
        fields["command_id"] = stream.get("@CommandId") if isinstance(stream, dict) else None
        fields["desired_streams"] = _text(stream).strip()
    elif action == "Signal":
        signal = body_node.get("rsp:Signal") or {}
        fields["command_id"] = signal.get("@CommandId")
        fields["signal_code"] = _text(signal.get("rsp:Code"))
    return WsmanRequest(**fields)


# ---------------------------------------------------------------- rendering


def render_envelope(reply_action: str, relates_to: str, body: dict | None) -> bytes:
    doc = {
        "s:Envelope": {
            "@xml:lang": "en-US",
            "@xmlns:s": SOAP,
            "@xmlns:a": ADDRESSING,
            "@xmlns:x": TRANSFER,
            "@xmlns:w": WSMAN,
            "@xmlns:rsp": SHELL,
            "@xmlns:p": MS_WSMAN,
            "s:Header": {
                "a:Action": reply_action,
                "a:MessageID": f"uuid:{str(uuid.uuid4()).upper()}",
                "a:To": ANONYMOUS,
                "a:RelatesTo": relates_to,
            },
            "s:Body": body or None,
        }
    }
    return xmltodict.unparse(doc, full_document=False).encode("utf-8")


def render_create(relates_to: str, shell_id: str, endpoint: str) -> bytes:
    body = {
        "x:ResourceCreated": {
            "a:Address": endpoint,
            "a:ReferenceParameters": {
                "w:ResourceURI": SHELL_RESOURCE_URI,
                "w:SelectorSet": {"w:Selector": {"@Name": "ShellId", "#text": shell_id}},
            },
        },
        "rsp:Shell": {
            "rsp:ShellId": shell_id,
            "rsp:ResourceUri": SHELL_RESOURCE_URI,
            "rsp:InputStreams": "stdin",
            "rsp:OutputStreams": "stdout stderr",
        },
    }
    return render_envelope(REPLY_ACTION["Create"], relates_to, body)


def render_command(relates_to: str, command_id: str) -> bytes:
    body = {"rsp:CommandResponse": {"rsp:CommandId": command_id}}
    return render_envelope(REPLY_ACTION["Command"], relates_to, body)


def render_send(relates_to: str) -> bytes:
    return render_envelope(REPLY_ACTION["Send"], relates_to, {"rsp:SendResponse": None})


def render_receive(
    relates_to: str,
    command_id: str,
    stdout: bytes,
    stderr: bytes,
    exit_code: int | None,
) -> bytes:
    """`exit_code` None = still running (no output yet), otherwise Done with that code."""
    streams = []
    done = exit_code is not None
    for name, data in (("stdout", stdout), ("stderr", stderr)):
        if data:
            streams.append(
                {"@Name": name, "@CommandId": command_id, "#text": base64.b64encode(data).decode()}
            )
        if done:
            streams.append({"@Name": name, "@CommandId": command_id, "@End": "true"})
    state: dict = {"@CommandId": command_id, "@State": STATE_DONE if done else STATE_RUNNING}
    if done:
        state["rsp:ExitCode"] = str(exit_code)
    body = {"rsp:ReceiveResponse": {"rsp:Stream": streams, "rsp:CommandState": state}}
    return render_envelope(REPLY_ACTION["Receive"], relates_to, body)


def render_signal(relates_to: str) -> bytes:
    return render_envelope(REPLY_ACTION["Signal"], relates_to, {"rsp:SignalResponse": None})


def render_delete(relates_to: str) -> bytes:
    return render_envelope(REPLY_ACTION["Delete"], relates_to, None)


def render_fault(relates_to: str, fault: Fault, machine: str = "localhost") -> bytes:
    body = {
        "s:Fault": {
            "s:Code": {
                "s:Value": "s:Receiver" if fault.receiver else "s:Sender",
                "s:Subcode": {"s:Value": fault.subcode},
            },
            "s:Reason": {"s:Text": {"@xml:lang": "en-US", "#text": fault.reason}},
            "s:Detail": {
                "f:WSManFault": {
                    "@xmlns:f": WSMAN_FAULT,
                    "@Code": str(fault.code),
                    "@Machine": machine,
                    "f:Message": fault.reason,
                }
            },
        }
    }
    return render_envelope(FAULT_ACTION, relates_to, body)
