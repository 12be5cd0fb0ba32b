"""PowerShell Remoting against the lab, driven by pypsrp as ansible-core's psrp connection does.

Every outcome is read back from the lab (counters, open shells, registry writes), not only
from what pypsrp reports.
"""

from __future__ import annotations

import base64
import json
import uuid
import xml.etree.ElementTree as ET
from types import SimpleNamespace

import pytest
from _lab_helpers import module_stdin
from psrpcore import ClientPowerShell, ClientRunspacePool
from psrpcore._payload import create_fragment, create_message
from psrpcore.types import PSRPMessageType
from pypsrp.exceptions import AuthenticationError, WSManFaultError
from pypsrp.host import PSHost
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.shell import SignalCode
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan

from winra_lab.lab import Lab
from winra_lab.wire import psrp

pytestmark = pytest.mark.lab
PING = "ansible.windows.win_ping"
SHELL_NOT_FOUND = 2150858843
INVALID_DATA = 2150858817
OPERATION_TIMED_OUT = 2150858793
# The script ansible-core's psrp connection runs for a module: the lab keys on the input
# objects, never on this text.
BOOTSTRAP = "& $([ScriptBlock]::Create($input | Select-Object -First 1))"


@pytest.fixture(scope="module")
def basic_lab():
    with Lab(hosts=2, profile="fresh", auth="basic", connection="psrp") as running:
        yield running


@pytest.fixture(scope="module")
def ntlm_lab():
    with Lab(hosts=1, profile="fresh", auth="ntlm", connection="psrp") as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(basic_lab):
    basic_lab.client.reset()


def wsman(lab, host="ws001", auth="basic", password=None, **options) -> WSMan:
    target = lab.host(host)
    return WSMan(
        target.address,
        port=target.port,
        username=lab.credentials.user,
        password=password if password is not None else lab.credentials.password,
        ssl=False,
        auth=auth,
        encryption="never" if auth == "basic" else "auto",
        cert_validation=False,
        **options,
    )


def open_pool(lab, **kwargs) -> tuple[RunspacePool, PSHost]:
    # The psrp connection's own host: it records SetShouldExit as `rc`.
    host = PSHost(None, None, False, "lab test host", None, None, None)
    pool = RunspacePool(wsman(lab, **kwargs), host=host)
    pool.open()
    return pool, host


def run_module(pool: RunspacePool, fqcn: str, args: dict, check_mode=False) -> PowerShell:
    """One module run as the psrp connection sends it: the payload lines as input objects."""
    stdin = module_stdin(fqcn, args, check_mode).decode()
    pipeline = PowerShell(pool)
    pipeline.add_script(BOOTSTRAP, use_local_scope=True)
    pipeline.invoke(input=stdin.splitlines())
    return pipeline


def only_output(pipeline: PowerShell) -> dict:
    assert len(pipeline.output) == 1, pipeline.output
    return json.loads(pipeline.output[0])


def test_pool_opens_and_closes_and_the_lab_keeps_no_shell(basic_lab):
    pool, _host = open_pool(basic_lab)
    shell_id = pool.shell.id
    assert basic_lab.host("ws001").shells.count() == 1
    # The pool id the client chose is the shell's id on the lab too.
    assert shell_id.upper() == str(pool.id).upper()
    pool.close()

    assert basic_lab.host("ws001").shells.count() == 0
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["pools"] == 1
    assert counters["requests_by_action"]["Create"] == 1
    assert counters["requests_by_action"]["Delete"] == 1
    assert counters["registry_writes"] == 0


def test_module_payload_as_input_objects_runs_the_emulation_once(basic_lab):
    pool, host = open_pool(basic_lab)
    try:
        pipeline = run_module(pool, PING, {"data": "over psrp"})
    finally:
        pool.close()

    assert only_output(pipeline) == {"ping": "over psrp", "changed": False}
    assert not host.rc and not pipeline.streams.error  # no SetShouldExit: rc 0
    assert pipeline.state == PSInvocationState.COMPLETED
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["module_runs"] == {PING: 1}
    assert counters["pipelines"] == 1 and counters["commands"] == 0


def test_script_with_arguments_and_input_is_refused_naming_it_with_rc_1(basic_lab):
    pool, host = open_pool(basic_lab)
    try:
        pipeline = PowerShell(pool)
        pipeline.add_script('param($Name) "hello $Name"; $input')
        pipeline.add_argument("lab")
        pipeline.invoke(input=["first line", "second line"])
    finally:
        pool.close()

    result = only_output(pipeline)
    assert result["failed"] is True
    assert "runs no PowerShell" in result["msg"]
    # The lab saw the script and its argument: the refusal quotes them.
    assert 'param($Name) "hello $Name"; $input lab' in result["msg"]
    # rc comes from the SetShouldExit host call, as the psrp connection reads it.
    assert host.rc == 1
    assert [str(error) for error in pipeline.streams.error] == [result["msg"]]
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["refused_commands"] == 1 and counters["module_runs_total"] == 0
    assert counters["registry_writes"] == 0


@pytest.mark.parametrize(
    ("options", "limit"),
    [
        pytest.param({}, 512000, id="raised-to-512000"),  # the lab speaks protocol 2.3
        pytest.param({"max_envelope_size": 51200}, 51200, id="client-set-51200"),
    ],
)
def test_output_larger_than_one_envelope_arrives_whole_in_fragments(
    basic_lab, monkeypatch, options, limit
):
    replies: list[int] = []
    render = psrp.render_receive

    def measured(*args, **kwargs):
        body = render(*args, **kwargs)
        replies.append(len(body))
        return body

    monkeypatch.setattr(psrp, "render_receive", measured)
    data = "0123456789abcdef" * (limit // 6)  # output of about 2.7 envelopes
    pool, _host = open_pool(basic_lab, **options)
    try:
        pipeline = run_module(pool, PING, {"data": data})
        assert pool.connection.max_envelope_size == limit
    finally:
        pool.close()

    assert only_output(pipeline)["ping"] == data
    pipeline_replies = replies[1:]  # the first one opened the pool
    # Every reply fits the client's envelope, and the envelopes are filled, not trickled.
    assert max(replies) <= limit
    assert 3 <= len(pipeline_replies) <= 4


def test_signal_stops_the_previous_pipeline_and_the_pool_runs_the_next(basic_lab):
    pool, _host = open_pool(basic_lab)
    try:
        first = run_module(pool, PING, {"data": "one"})
        shell = basic_lab.host("ws001").shells.get(pool.shell.id, kind=psrp.PsrpShell)
        assert set(shell.pipelines) == {str(first.id).upper()}
        # What the psrp connection does before its next command.
        first.state = PSInvocationState.RUNNING
        first.stop()
        assert shell.pipelines == {}
        second = run_module(pool, PING, {"data": "two"})
        assert only_output(second)["ping"] == "two"
        second.close()  # the Terminate signal: also accepted
        assert shell.pipelines == {}
    finally:
        pool.close()

    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["requests_by_action"]["Signal"] == 2
    assert counters["pools"] == 1 and counters["module_runs"] == {PING: 2}


def test_a_signal_for_an_unknown_pipeline_is_a_fault(basic_lab):
    pool, _host = open_pool(basic_lab)
    try:
        with pytest.raises(WSManFaultError) as caught:
            pool.shell.signal(SignalCode.PS_CTRL_C, str(uuid.uuid4()).upper())
    finally:
        pool.close()
    assert caught.value.code == SHELL_NOT_FOUND


def test_an_unknown_signal_is_a_fault_and_the_pipeline_stays(basic_lab):
    pool, _host = open_pool(basic_lab)
    try:
        pipeline = run_module(pool, PING, {})
        with pytest.raises(WSManFaultError) as caught:
            pool.shell.signal("powershell/signal/crash", str(pipeline.id).upper())
        shell = basic_lab.host("ws001").shells.get(pool.shell.id, kind=psrp.PsrpShell)
        assert set(shell.pipelines) == {str(pipeline.id).upper()}
    finally:
        pool.close()
    assert caught.value.code == INVALID_DATA and "unknown signal" in caught.value.reason


def test_unknown_shell_is_a_fault_and_the_lab_keeps_serving(basic_lab):
    connection = wsman(basic_lab)
    rsp = NAMESPACES["rsp"]
    receive = ET.Element(f"{{{rsp}}}Receive")
    ET.SubElement(receive, f"{{{rsp}}}DesiredStream").text = "stdout"
    selectors = SelectorSet()
    selectors.add_option("ShellId", str(uuid.uuid4()).upper())

    with pytest.raises(WSManFaultError) as caught:
        connection.receive(psrp.PSRP_RESOURCE_URI, receive, selector_set=selectors)

    assert caught.value.code == SHELL_NOT_FOUND
    assert "shell was not found" in caught.value.reason
    pool, _host = open_pool(basic_lab)
    try:
        assert only_output(run_module(pool, PING, {}))["ping"] == "pong"
    finally:
        pool.close()


def test_a_pipeline_waiting_for_input_times_out_like_windows_and_runs_nothing(basic_lab):
    pool, _host = open_pool(basic_lab)
    try:
        # A pipeline that announces input and never ends it (pypsrp always ends it).
        client = ClientRunspacePool(runspace_pool_id=uuid.UUID(pool.id))
        waiting = ClientPowerShell(client, no_input=False)
        waiting.add_script("never runs")
        waiting.start()
        first = client.data_to_send()
        command_id = str(waiting.pipeline_id).upper()
        pool.shell.command(
            "", arguments=[base64.b64encode(first.data).decode()], command_id=command_id
        )
        with pytest.raises(WSManFaultError) as caught:
            pool.shell.receive("stdout", command_id=command_id, timeout=1)
    finally:
        pool.close()
    assert caught.value.code == OPERATION_TIMED_OUT  # the client polls again, as on Windows
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["module_runs_total"] == 0 and counters["refused_commands"] == 0


def test_a_pool_is_not_a_winrs_shell(basic_lab):
    pool, _host = open_pool(basic_lab)
    rsp = NAMESPACES["rsp"]
    receive = ET.Element(f"{{{rsp}}}Receive")
    ET.SubElement(receive, f"{{{rsp}}}DesiredStream").text = "stdout stderr"
    selectors = SelectorSet()
    selectors.add_option("ShellId", pool.shell.id)
    try:
        with pytest.raises(WSManFaultError) as caught:
            pool.connection.receive(
                "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd",
                receive,
                selector_set=selectors,
            )
    finally:
        pool.close()
    assert caught.value.code == SHELL_NOT_FOUND


def _command_with(pool: RunspacePool, fragment: bytes):
    return pool.shell.command(
        "", arguments=[base64.b64encode(fragment).decode()], command_id=str(uuid.uuid4()).upper()
    )


@pytest.mark.parametrize(
    ("fragment", "reason"),
    [
        pytest.param(b"\x00\x01not a fragment at all", "fragment id", id="malformed-fragment"),
        pytest.param("unknown-message-type", "not a valid PSRPMessageType", id="unknown-type"),
        pytest.param("server-only-message", "PipelineState", id="server-to-client-message"),
    ],
)
def test_bad_psrp_data_is_a_fault_that_writes_nothing(basic_lab, fragment, reason):
    pool, _host = open_pool(basic_lab)
    try:
        if fragment == "unknown-message-type":
            unknown = SimpleNamespace(value=0x0004FFFF)  # no PSRP message has this id
            message = create_message(True, unknown, b"<Obj/>", uuid.UUID(pool.id), uuid.uuid4())
            fragment = create_fragment(1, 0, message, True)
        elif fragment == "server-only-message":
            # PIPELINE_STATE goes from server to client, never the other way.
            state = b'<Obj RefId="0"><MS><I32 N="PipelineState">4</I32></MS></Obj>'
            message = create_message(
                True, PSRPMessageType.PipelineState, state, uuid.UUID(pool.id), uuid.uuid4()
            )
            fragment = create_fragment(1, 0, message, True)
        with pytest.raises(WSManFaultError) as caught:
            _command_with(pool, fragment)
        assert caught.value.code == INVALID_DATA
        assert "PowerShell Remoting data is invalid" in caught.value.reason
        assert reason in caught.value.reason
    finally:
        pool.close()

    # The other host is untouched and this one still serves.
    other, _host = open_pool(basic_lab, host="ws002")
    try:
        assert only_output(run_module(other, PING, {}))["ping"] == "pong"
    finally:
        other.close()
    counters = basic_lab.client.counters()
    assert counters["ws001.contoso.test"]["module_runs_total"] == 0
    assert all(c["registry_writes"] == 0 for c in counters.values())


def test_bad_password_is_401_and_opens_no_pool(basic_lab):
    with pytest.raises(AuthenticationError):
        open_pool(basic_lab, password="not-the-password")
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["auth_failures"] >= 1
    assert counters["pools"] == 0 and counters["requests_by_action"].get("Create", 0) == 0


def test_bad_password_over_negotiate_is_401(ntlm_lab):
    ntlm_lab.client.reset()
    with pytest.raises(AuthenticationError):
        open_pool(ntlm_lab, auth="negotiate", password="not-the-password")
    counters = ntlm_lab.client.counters()["ws001.contoso.test"]
    assert counters["auth_failures"] >= 1 and counters["pools"] == 0


@pytest.mark.parametrize("auth", ["negotiate", "ntlm"])
def test_negotiate_and_ntlm_run_a_module_with_message_encryption(ntlm_lab, auth):
    ntlm_lab.client.reset()
    pool, host = open_pool(ntlm_lab, auth=auth)
    try:
        pipeline = run_module(pool, PING, {"data": auth}, check_mode=True)
    finally:
        pool.close()

    assert only_output(pipeline) == {"ping": auth, "changed": False} and not host.rc
    counters = ntlm_lab.client.counters()["ws001.contoso.test"]
    assert counters["check_mode_runs"] == {PING: 1}
    # Every request after the handshake travelled sealed.
    assert counters["encrypted_requests"] == counters["requests"] - (
        counters["requests_by_action"].get("Unauthorized", 0)
        + counters["requests_by_action"].get("Negotiate", 0)
        + counters["requests_by_action"].get("Authenticated", 0)
    )
    assert counters["registry_writes"] == 0


def test_basic_runs_a_module_unencrypted(basic_lab):
    pool, _host = open_pool(basic_lab, auth="basic")
    try:
        assert only_output(run_module(pool, PING, {"data": "basic"}))["ping"] == "basic"
    finally:
        pool.close()
    counters = basic_lab.client.counters()["ws001.contoso.test"]
    assert counters["encrypted_requests"] == 0 and counters["module_runs"] == {PING: 1}
