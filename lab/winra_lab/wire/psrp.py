"""PowerShell Remoting (MS-PSRP) over the WinRS shell messages, without any I/O.

A PSRP runspace pool is a WS-Man shell on the resource `PSRP_RESOURCE_URI`; a pipeline
is a command in it. psrpcore's server objects keep the protocol state (capabilities,
pool and pipeline states, fragments); this module carries their fragments in and out of
the WS-Man messages:

* Create: `creationXml` holds the first fragments (SESSION_CAPABILITY + INIT_RUNSPACEPOOL).
* Command: `CommandId` is the pipeline id, the first CREATE_PIPELINE fragment is in
  `rsp:Arguments`; Send on `stdin` carries the rest, then the input objects and
  END_OF_PIPELINE_INPUT; Send on `pr` answers host calls.
* Receive on `stdout`: the fragments the server has for the pool or that pipeline, as
  many as the client's MaxEnvelopeSize allows, and `CommandState Done` once all of a
  finished pipeline's output has gone.

What a pipeline does is not decided here: `PsrpShell.pending_run` says what to run,
`finish_run` turns the result into PSRP messages (output, error record, SetShouldExit
host call, pipeline state).
"""

from __future__ import annotations

import base64
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field

from psrpcore import (
    CreatePipelineEvent,
    EndOfPipelineInputEvent,
    InitRunspacePoolEvent,
    PipelineHostResponseEvent,
    PipelineInputEvent,
    PSRPPayload,
    RunspacePoolHostResponseEvent,
    ServerPipeline,
    ServerRunspacePool,
    SessionCapabilityEvent,
    StreamType,
)
from psrpcore.types import HostMethodIdentifier, NETException

from winra_lab.wire import wsman
from winra_lab.wire.wsman import Fault

PSRP_RESOURCE_URI = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
PSRP_RESOURCE_PREFIX = "http://schemas.microsoft.com/powershell/"
SIGNAL_PS_CTRL_C = "powershell/signal/ctrl_c"
# pypsrp spells Terminate with a capital T; Windows compares signal codes case-insensitively.
_STOP_SIGNALS = frozenset(
    {SIGNAL_PS_CTRL_C, wsman.SIGNAL_TERMINATE.lower(), f"{wsman.SHELL}/signal/ctrl_c".lower()}
)

# What a Receive reply spends besides its fragments: the SOAP envelope and headers, and
# each rsp:Stream element around one base64 fragment.
ENVELOPE_OVERHEAD = 2048
STREAM_OVERHEAD = 160
DEFAULT_MAX_ENVELOPE = 153600  # WinRM's default MaxEnvelopeSizekb (150) in bytes
# A fragment header is 21 bytes; psrpcore needs room for at least one data byte.
MIN_FRAGMENT = 22

# Client -> server messages the lab's pools understand. Anything else (key exchange,
# runspace availability, command metadata, reconnects) is refused with a fault.
_ACCEPTED_EVENTS = (
    SessionCapabilityEvent,
    InitRunspacePoolEvent,
    CreatePipelineEvent,
    PipelineInputEvent,
    EndOfPipelineInputEvent,
    PipelineHostResponseEvent,
    RunspacePoolHostResponseEvent,
)


class PsrpFault(Exception):
    """The request cannot be served; `fault` is the WS-Man fault to answer with."""

    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.reason)
        self.fault = fault


def psrp_fault(reason: str) -> PsrpFault:
    return PsrpFault(wsman.bad_request(f"The PowerShell Remoting data is invalid: {reason}"))


def fragment_budget(max_envelope_size: int | None) -> int:
    """The largest fragment payload (decoded bytes) one reply of that envelope can carry."""
    size = max_envelope_size or DEFAULT_MAX_ENVELOPE
    return max(MIN_FRAGMENT, (size - ENVELOPE_OVERHEAD - STREAM_OVERHEAD) * 3 // 4)


@dataclass(frozen=True)
class PipelineRun:
    """What one pipeline asks the host to run: its script, arguments and input objects."""

    script: str
    arguments: list[str]
    input_objects: list[str]


@dataclass(eq=False)
class PsrpPipeline:
    id: str  # the pipeline id upper-cased, as pypsrp spells it
    server: ServerPipeline
    run: PipelineRun | None = None  # known once CREATE_PIPELINE is complete
    no_input: bool = True
    input_objects: list[str] = field(default_factory=list)
    input_ended: bool = False
    started: bool = False  # handed to the host by pending_run
    finished: bool = False  # its output and final state are queued
    ready_at: float = 0.0  # monotonic time its output becomes visible (latency model)
    # One Receive at a time runs the pipeline; others wait on this lock.
    run_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def runnable(self) -> bool:
        return self.run is not None and (self.no_input or self.input_ended)


class PsrpShell:
    """One runspace pool and its pipelines: psrpcore's state plus outgoing fragment queues.

    Not thread-safe by itself: the caller holds `lock` around every call.
    """

    def __init__(self, shell_id: str, creation_xml: bytes, max_envelope_size: int | None):
        self.id = shell_id
        self.lock = threading.RLock()
        self.pool = ServerRunspacePool()
        self.pipelines: dict[str, PsrpPipeline] = {}
        # Fragments ready to go, by target (None = the pool), each within one envelope.
        self._outbox: dict[uuid.UUID | None, deque[bytes]] = {}
        if not creation_xml:
            raise psrp_fault("the Create message carries no creationXml")
        self._feed(creation_xml, None, max_envelope_size)
        if self.pool.runspace_pool_id == uuid.UUID(int=0):
            raise psrp_fault("creationXml holds no SESSION_CAPABILITY")

    # ------------------------------------------------------------------ client -> server

    def command(self, command_id: str | None, fragment_b64: str, max_envelope: int | None):
        """A new pipeline: its id and the first CREATE_PIPELINE fragment."""
        try:
            pipeline_id = uuid.UUID(command_id or "")
        except ValueError:
            raise psrp_fault(f"the CommandId {command_id!r} is not a pipeline id") from None
        key = str(pipeline_id).upper()
        if key in self.pipelines:
            raise psrp_fault(f"the pipeline {key} already exists")
        try:
            fragment = base64.b64decode(fragment_b64, validate=True)
        except ValueError as exc:
            raise psrp_fault(f"rsp:Arguments is not base64: {exc}") from exc
        pipeline = PsrpPipeline(key, ServerPipeline(self.pool, pipeline_id))
        self.pipelines[key] = pipeline
        try:
            self._feed(fragment, pipeline, max_envelope)
        except PsrpFault:
            self._forget(pipeline)
            raise
        return key

    def send(self, command_id: str | None, stream: str, data: bytes, max_envelope: int | None):
        """More fragments: for a pipeline (CommandId set) or the pool."""
        if stream not in ("stdin", "pr"):
            raise psrp_fault(f"unknown input stream {stream!r}")
        pipeline = self.pipeline(command_id) if command_id else None
        self._feed(data, pipeline, max_envelope)

    def signal(self, command_id: str | None, code: str) -> None:
        """Stop (ctrl_c) or close (terminate) a pipeline: it and its unsent output go."""
        pipeline = self.pipeline(command_id)
        if code.strip().lower() not in _STOP_SIGNALS:
            raise psrp_fault(f"unknown signal {code!r}")
        self._forget(pipeline)

    # ------------------------------------------------------------------ the host's side

    def pipeline(self, command_id: str | None) -> PsrpPipeline:
        pipeline = self.pipelines.get((command_id or "").upper())
        if pipeline is None:
            raise PsrpFault(wsman.command_not_found(command_id or ""))
        return pipeline

    def pending_run(self, pipeline: PsrpPipeline) -> PipelineRun | None:
        """What to run, once, when the pipeline has all its input; else None."""
        if pipeline.started or not pipeline.runnable:
            return None
        pipeline.started = True
        assert pipeline.run is not None
        return PipelineRun(pipeline.run.script, pipeline.run.arguments, pipeline.input_objects)

    def finish_run(
        self,
        pipeline: PsrpPipeline,
        output: str,
        error: str,
        exit_code: int,
        max_envelope: int | None,
    ) -> None:
        """Queue a run's result as PowerShell reports it: output objects, an error record,
        `$host.SetShouldExit(rc)` when rc is not 0 (the client's only source of rc), then
        the Completed state."""
        server = pipeline.server
        server.start()
        if output:
            server.write_output(output)
        if error:
            server.write_error(NETException(Message=error))
        if exit_code != 0:
            server.host_call(HostMethodIdentifier.SetShouldExit, [exit_code])
        server.complete()
        pipeline.finished = True
        self._drain(max_envelope)

    # ------------------------------------------------------------------ server -> client

    def has_output(self, pipeline: PsrpPipeline | None) -> bool:
        return bool(self._outbox.get(pipeline.server.pipeline_id if pipeline else None))

    def take_output(self, pipeline: PsrpPipeline | None, max_envelope: int | None) -> list[bytes]:
        """The fragments for one Receive reply: at least one, then as many as fit."""
        queue = self._outbox.get(pipeline.server.pipeline_id if pipeline else None)
        taken: list[bytes] = []
        room = (max_envelope or DEFAULT_MAX_ENVELOPE) - ENVELOPE_OVERHEAD
        while queue:
            cost = STREAM_OVERHEAD + (len(queue[0]) + 2) // 3 * 4
            if taken and cost > room:
                break
            taken.append(queue.popleft())
            room -= cost
        return taken

    def pipeline_done(self, pipeline: PsrpPipeline) -> bool:
        return pipeline.finished and not self.has_output(pipeline)

    # ------------------------------------------------------------------ internals

    def _forget(self, pipeline: PsrpPipeline) -> None:
        self.pipelines.pop(pipeline.id, None)
        self.pool.pipeline_table.pop(pipeline.server.pipeline_id, None)
        self._outbox.pop(pipeline.server.pipeline_id, None)

    def _feed(self, data: bytes, pipeline: PsrpPipeline | None, max_envelope: int | None):
        target = pipeline.server.pipeline_id if pipeline else None
        try:
            self.pool.receive_data(PSRPPayload(data, StreamType.default, target))
            while (event := self.pool.next_event()) is not None:
                self._accept(event)
        except PsrpFault:
            raise
        except Exception as exc:
            # psrpcore and its parsers raise many types (struct, value, XML, its own
            # errors) for data that is not PSRP: all of them mean "malformed".
            raise psrp_fault(f"{type(exc).__name__}: {exc}") from exc
        self._drain(max_envelope)

    def _accept(self, event) -> None:
        if not isinstance(event, _ACCEPTED_EVENTS):
            raise psrp_fault(f"the lab does not handle the message {type(event).__name__}")
        if isinstance(event, (SessionCapabilityEvent, InitRunspacePoolEvent)):
            return  # psrpcore answered (capability, private data, Opened)
        pipeline = self.pipelines.get(str(event.pipeline_id).upper()) if event.pipeline_id else None
        if isinstance(event, CreatePipelineEvent):
            if pipeline is None:
                raise psrp_fault("CREATE_PIPELINE outside a pipeline's command")
            described = event.pipeline
            if not described.commands:
                raise psrp_fault("CREATE_PIPELINE holds no command")
            command = described.commands[0]
            pipeline.no_input = bool(described.no_input)
            arguments = [str(value) for _name, value in command.parameters if value is not None]
            # The input objects are filled in by pending_run, once they have all arrived.
            pipeline.run = PipelineRun(str(command.command_text), arguments, [])
        elif isinstance(event, PipelineInputEvent):
            if pipeline is None or pipeline.input_ended:
                raise psrp_fault("pipeline input for no open pipeline input")
            pipeline.input_objects.append(str(event.data))
        elif isinstance(event, EndOfPipelineInputEvent):
            if pipeline is None:
                raise psrp_fault("end of pipeline input for no pipeline")
            pipeline.input_ended = True
        # Host responses: the lab's pipelines ask only void host calls; nothing to do.

    def _drain(self, max_envelope: int | None) -> None:
        budget = fragment_budget(max_envelope)
        while (payload := self.pool.data_to_send(budget)) is not None:
            self._outbox.setdefault(payload.pipeline_id, deque()).append(payload.data)


# ---------------------------------------------------------------- rendering


def render_create(relates_to: str, shell_id: str, endpoint: str, resource_uri: str) -> bytes:
    body = {
        "x:ResourceCreated": {
            "a:Address": endpoint,
            "a:ReferenceParameters": {
                "w:ResourceURI": resource_uri,
                "w:SelectorSet": {"w:Selector": {"@Name": "ShellId", "#text": shell_id}},
            },
        },
        "rsp:Shell": {
            "rsp:ShellId": shell_id,
            "rsp:ResourceUri": resource_uri,
            "rsp:InputStreams": "stdin pr",
            "rsp:OutputStreams": "stdout",
        },
    }
    return wsman.render_envelope(wsman.REPLY_ACTION["Create"], relates_to, body)


def render_receive(
    relates_to: str, fragments: list[bytes], command_id: str | None, done: bool
) -> bytes:
    """A ReceiveResponse: one stdout stream per fragment; a pipeline's state when done."""
    streams = []
    for fragment in fragments:
        stream = {"@Name": "stdout", "#text": base64.b64encode(fragment).decode()}
        if command_id:
            stream["@CommandId"] = command_id
        streams.append(stream)
    response: dict = {"rsp:Stream": streams} if streams else {}
    if command_id:
        state = wsman.STATE_DONE if done else wsman.STATE_RUNNING
        response["rsp:CommandState"] = {"@CommandId": command_id, "@State": state}
    return wsman.render_envelope(
        wsman.REPLY_ACTION["Receive"], relates_to, {"rsp:ReceiveResponse": response or None}
    )
