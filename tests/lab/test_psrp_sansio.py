"""The lab's PSRP shell without any I/O: psrpcore's client objects talk to `PsrpShell`."""

from __future__ import annotations

import base64

import pytest
from psrpcore import (
    ClientPowerShell,
    ClientRunspacePool,
    ErrorRecordEvent,
    PipelineHostCallEvent,
    PipelineOutputEvent,
    PipelineStateEvent,
    PSRPPayload,
    RunspacePoolStateEvent,
    StreamType,
)
from psrpcore.types import HostMethodIdentifier, PSInvocationState, RunspacePoolState

from winra_lab.wire import psrp

pytestmark = pytest.mark.lab
ENVELOPE = 153600


def _deliver(client: ClientRunspacePool, fragments: list[bytes], pipeline_id=None) -> list:
    events = []
    for fragment in fragments:
        client.receive_data(PSRPPayload(fragment, StreamType.default, pipeline_id))
        while (event := client.next_event()) is not None:
            events.append(event)
    return events


def _open() -> tuple[ClientRunspacePool, psrp.PsrpShell]:
    client = ClientRunspacePool()
    client.open()
    creation = client.data_to_send()
    shell = psrp.PsrpShell(str(client.runspace_pool_id).upper(), creation.data, ENVELOPE)
    events = _deliver(client, shell.take_output(None, ENVELOPE))
    assert isinstance(events[-1], RunspacePoolStateEvent)
    assert client.state == RunspacePoolState.Opened
    return client, shell


def _start(client, shell, script: str, inputs: list[str]) -> psrp.PsrpPipeline:
    pipeline = ClientPowerShell(client, no_input=not inputs)
    pipeline.add_script(script)
    pipeline.start()
    for line in inputs:
        pipeline.send(line)
    if inputs:
        pipeline.send_eof()
    first = client.data_to_send(ENVELOPE)
    command_id = shell.command(
        str(pipeline.pipeline_id).upper(), base64.b64encode(first.data).decode(), ENVELOPE
    )
    while (more := client.data_to_send(ENVELOPE)) is not None:
        shell.send(command_id, "stdin", more.data, ENVELOPE)
    return shell.pipeline(command_id)


def test_a_pipeline_runs_once_with_its_script_and_input_objects():
    client, shell = _open()
    pipeline = _start(client, shell, "the bootstrap", ["line one", "line two", "line three"])

    run = shell.pending_run(pipeline)
    assert run == psrp.PipelineRun("the bootstrap", [], ["line one", "line two", "line three"])
    assert shell.pending_run(pipeline) is None  # handed out once only


def test_a_pipeline_without_its_end_of_input_does_not_run():
    client, shell = _open()
    pipeline = ClientPowerShell(client, no_input=False)
    pipeline.add_script("waits")
    pipeline.start()
    pipeline.send("only line")
    # CREATE_PIPELINE and the input line travel together; END_OF_PIPELINE_INPUT never comes.
    first = client.data_to_send(ENVELOPE)
    command_id = shell.command(
        str(pipeline.pipeline_id).upper(), base64.b64encode(first.data).decode(), ENVELOPE
    )
    assert client.data_to_send(ENVELOPE) is None

    assert shell.pending_run(shell.pipeline(command_id)) is None


def test_the_result_is_output_then_set_should_exit_then_completed():
    client, shell = _open()
    pipeline = _start(client, shell, "script", [])
    shell.pending_run(pipeline)
    shell.finish_run(pipeline, '{"failed": true}', "why", 3, ENVELOPE)

    events = _deliver(client, shell.take_output(pipeline, ENVELOPE), pipeline.server.pipeline_id)
    # psrpcore's ServerPipeline announces Running first; the result follows in order.
    assert isinstance(events[0], PipelineStateEvent)
    assert events[0].state == PSInvocationState.Running
    output, error, host_call, final = events[1:]
    assert isinstance(output, PipelineOutputEvent) and output.data == '{"failed": true}'
    assert isinstance(error, ErrorRecordEvent) and str(error.record.Exception.Message) == "why"
    assert isinstance(host_call, PipelineHostCallEvent)
    assert host_call.method_identifier == HostMethodIdentifier.SetShouldExit
    assert host_call.method_parameters == [3]
    assert isinstance(final, PipelineStateEvent)
    assert final.state == PSInvocationState.Completed
    assert shell.pipeline_done(pipeline)


def test_large_output_is_split_to_fit_the_envelope():
    client, shell = _open()
    pipeline = _start(client, shell, "script", [])
    shell.pending_run(pipeline)
    small = 8192
    shell.finish_run(pipeline, "x" * 50_000, "", 0, small)

    replies = []
    while shell.has_output(pipeline):
        fragments = shell.take_output(pipeline, small)
        replies.append(psrp.render_receive("uuid:1", fragments, pipeline.id, False))
    assert len(replies) >= 6 and max(len(r) for r in replies) <= small


def test_signal_drops_the_pipeline_and_its_unsent_output():
    client, shell = _open()
    pipeline = _start(client, shell, "script", [])
    shell.pending_run(pipeline)
    shell.finish_run(pipeline, "unread", "", 0, ENVELOPE)

    shell.signal(pipeline.id, psrp.SIGNAL_PS_CTRL_C)

    assert shell.pipelines == {} and not shell.has_output(pipeline)
    with pytest.raises(psrp.PsrpFault):
        shell.pipeline(pipeline.id)


def test_a_create_without_creation_xml_is_refused():
    with pytest.raises(psrp.PsrpFault, match="no creationXml"):
        psrp.PsrpShell("A", b"", ENVELOPE)
