"""PowerShell Remoting for one emulated host: `ansible_connection=psrp` against the lab.

`handle` answers the WS-Man requests addressed to the PowerShell resource URI. Each
pipeline's script and input objects go through the same decoding and module dispatch as
a WinRS command (`winrs.execute`): the psrp connection sends the wrapper script as the
pipeline's command and the bytes winrm would put on stdin as input objects, one per
line. Waiting follows the WinRS rules: a Receive that has nothing to give waits at most
the client's OperationTimeout, then answers with the WS-Man timeout fault.
"""

from __future__ import annotations

import time
import uuid

from winra_lab.wire import psrp, winrs, wsman
from winra_lab.wire.psrp import PsrpFault, PsrpPipeline, PsrpShell
from winra_lab.wire.winrs import DEFAULT_OPERATION_TIMEOUT_S, WsmanFault
from winra_lab.wire.wsman import WsmanRequest


def serves(resource_uri: str) -> bool:
    """True for a PowerShell session configuration's resource URI (routing by URI)."""
    return resource_uri.lower().startswith(psrp.PSRP_RESOURCE_PREFIX.lower())


def handle(host, request: WsmanRequest) -> bytes:
    """Answer one PSRP request for `host`; raises WsmanFault for WS-Man faults."""
    try:
        return _handle(host, request)
    except PsrpFault as exc:
        raise WsmanFault(exc.fault) from exc


def _handle(host, request: WsmanRequest) -> bytes:
    if request.resource_uri != psrp.PSRP_RESOURCE_URI:
        raise PsrpFault(
            wsman.bad_request(
                f"The lab serves only the PowerShell configuration {psrp.PSRP_RESOURCE_URI}."
            )
        )
    action = request.action
    if action == "Create":
        shell_id = (request.requested_shell_id or str(uuid.uuid4())).upper()
        shell = PsrpShell(shell_id, request.creation_xml, request.max_envelope_size)
        if not host.shells.add(shell):
            raise PsrpFault(wsman.bad_request(f"A shell with ShellId {shell_id} already exists."))
        host.counters.pool()
        return psrp.render_create(request.message_id, shell_id, host.endpoint, request.resource_uri)

    shell = host.shells.get(request.shell_id, kind=PsrpShell)
    if action == "Delete":
        host.shells.delete(shell.id, kind=PsrpShell)
        return wsman.render_delete(request.message_id)
    if action == "Command":
        with shell.lock:
            command_id = shell.command(
                request.command_id, request.arguments, request.max_envelope_size
            )
        host.counters.pipeline()
        return wsman.render_command(request.message_id, command_id)
    if action == "Send":
        with shell.lock:
            shell.send(
                request.command_id, request.stream_name, request.stdin, request.max_envelope_size
            )
        return wsman.render_send(request.message_id)
    if action == "Signal":
        with shell.lock:
            shell.signal(request.command_id, request.signal_code)
        return wsman.render_signal(request.message_id)
    if action == "Receive":
        if request.command_id:
            return _receive_pipeline(host, request, shell)
        return _receive_pool(request, shell)
    raise PsrpFault(wsman.unsupported_action(action))


def _timeout(request: WsmanRequest) -> float:
    return request.operation_timeout_s or DEFAULT_OPERATION_TIMEOUT_S


def _receive_pool(request: WsmanRequest, shell: PsrpShell) -> bytes:
    with shell.lock:
        fragments = shell.take_output(None, request.max_envelope_size)
    if not fragments:
        # Nothing happens on an open pool by itself: the client hears back at its timeout.
        time.sleep(_timeout(request))
        raise PsrpFault(wsman.timed_out())
    return psrp.render_receive(request.message_id, fragments, None, done=False)


def _run(host, shell: PsrpShell, pipeline: PsrpPipeline, max_envelope: int | None) -> bool:
    """Run the pipeline if it is complete and has not run; False while it awaits input."""
    with pipeline.run_lock:
        with shell.lock:
            run = shell.pending_run(pipeline)
        if run is None:
            return pipeline.started
        started = time.monotonic()
        arguments = " ".join(run.arguments)
        stdin = "\n".join(run.input_objects).encode("utf-8")
        if host.recorder is not None:
            host.recorder.record(host.name, run.script, arguments, stdin)
        stdout, stderr, code, module = winrs.execute(host, run.script, arguments, stdin)
        with shell.lock:
            shell.finish_run(
                pipeline,
                stdout.decode("utf-8", "replace"),
                stderr.decode("utf-8", "replace"),
                code,
                max_envelope,
            )
            pipeline.ready_at = started + host.latency.command_cost_s(module)
        return True


def _receive_pipeline(host, request: WsmanRequest, shell: PsrpShell) -> bytes:
    with shell.lock:
        pipeline = shell.pipeline(request.command_id)
    timeout = _timeout(request)
    if not _run(host, shell, pipeline, request.max_envelope_size):
        # A pipeline waiting for input blocks, as PowerShell does; the client polls again.
        time.sleep(timeout)
        raise PsrpFault(wsman.timed_out())
    if not winrs.wait_until_ready(pipeline.ready_at, timeout):
        raise PsrpFault(wsman.timed_out())
    with shell.lock:
        fragments = shell.take_output(pipeline, request.max_envelope_size)
        done = shell.pipeline_done(pipeline)
    return psrp.render_receive(request.message_id, fragments, pipeline.id, done)
