"""NTLM hosts (`--auth ntlm`): pywinrm's handshake and message encryption over plain HTTP."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import socket
import stat
import subprocess
import threading
from pathlib import Path

import pytest
import requests
import spnego
import winrm
from _lab_helpers import (
    BIN,
    ROOT,
    ansible_env,
    engine_read,
    engine_value,
    hostname_of,
    run,
    run_module,
)
from winrm.exceptions import InvalidCredentialsError

from winra_lab.cli import _fleet_argv, build_parser
from winra_lab.lab import Lab
from winra_lab.wire.ntlm_auth import CREDENTIAL_ENV

pytestmark = pytest.mark.lab
ENGINE = "winra.remote_assistance.win_ra_state"
TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"


@pytest.fixture(scope="module")
def lab():
    with Lab(hosts=2, profile="fresh", auth="ntlm") as running:
        yield running


def ntlm_protocol(lab, endpoint=None, password=None, encryption="auto") -> winrm.Protocol:
    return winrm.Protocol(
        endpoint or lab.host("ws001").endpoint,
        transport="ntlm",
        username=lab.credentials.user,
        password=password if password is not None else lab.credentials.password,
        message_encryption=encryption,
    )


class RecordingProxy:
    """A loopback TCP relay that keeps every byte each side sent: what is on the wire."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.to_server = bytearray()
        self.to_client = bytearray()
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                client, _ = self._listener.accept()
                server = socket.create_connection(self.target)
                for source, sink, log in (
                    (client, server, self.to_server),
                    (server, client, self.to_client),
                ):
                    threading.Thread(
                        target=self._pump, args=(source, sink, log), daemon=True
                    ).start()

    def _pump(self, source, sink, log) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                with self._lock:
                    log.extend(data)
                sink.sendall(data)
        with contextlib.suppress(OSError):
            sink.shutdown(socket.SHUT_WR)

    def close(self) -> None:
        self._listener.close()


@pytest.fixture
def proxy(lab):
    host = lab.host("ws001")
    relay = RecordingProxy((host.address, host.port))
    yield relay
    relay.close()


@pytest.mark.parametrize("encryption", ["always", "auto"])
def test_module_run_is_encrypted_on_the_wire(lab, proxy, encryption):
    before = lab.host("ws001").counters.snapshot(0)
    endpoint = f"http://127.0.0.1:{proxy.port}/wsman"
    result, code = run_module(
        ntlm_protocol(lab, endpoint, encryption=encryption),
        ENGINE,
        engine_read([OLE]),
    )
    assert code == 0, result
    assert hostname_of(result) == "WS001"
    sent, received = bytes(proxy.to_server), bytes(proxy.to_client)
    assert b"multipart/encrypted" in sent and b"multipart/encrypted" in received
    assert b"HTTP-SPNEGO-session-encrypted" in received
    for plain in (b"Envelope", b"transfer/Create", b"windows/shell/cmd"):
        assert plain not in sent
    for plain in (b"Envelope", b"ShellId", b"CommandResponse", b"CommandState"):
        assert plain not in received
    after = lab.host("ws001").counters.snapshot(0)
    # Create, Command, Send, Receive, Signal, Delete: all six arrived sealed.
    assert after["encrypted_requests"] - before["encrypted_requests"] == 6
    assert after["auth_failures"] == before["auth_failures"]


def test_unencrypted_messages_show_on_the_wire(lab, proxy):
    """The wire check above can fail: without encryption the SOAP text is plain to see."""
    endpoint = f"http://127.0.0.1:{proxy.port}/wsman"
    result, code = run_module(
        ntlm_protocol(lab, endpoint, encryption="never"), ENGINE, engine_read([OLE])
    )
    assert code == 0, result
    assert b"transfer/Create" in bytes(proxy.to_server)
    assert b"CommandResponse" in bytes(proxy.to_client)


def test_handshake_runs_on_one_keep_alive_connection(lab):
    host = lab.host("ws002")
    before = host.counters.snapshot(0)
    result, code = run_module(ntlm_protocol(lab, host.endpoint), ENGINE, engine_read([OLE]))
    assert code == 0 and hostname_of(result) == "WS002"
    after = host.counters.snapshot(0)
    assert after["connections"] - before["connections"] == 1
    by_action = {
        k: v - before["requests_by_action"].get(k, 0)
        for k, v in after["requests_by_action"].items()
    }
    # 401 Negotiate, 401 with the challenge, then the authenticated empty POST.
    assert by_action["Unauthorized"] == by_action["Negotiate"] == by_action["Authenticated"] == 1


def test_session_runs_a_command_and_decrypts_its_output(lab):
    host = lab.host("ws001")
    session = winrm.Session(
        host.endpoint, auth=(lab.credentials.user, lab.credentials.password), transport="ntlm"
    )
    result = session.run_cmd("ipconfig", ["/all"])
    assert result.status_code == 1  # the lab runs no plain commands, and says so
    assert b"runs no PowerShell" in result.std_err and b"ipconfig /all" in result.std_err


def test_domain_qualified_user_names_are_accepted(lab):
    for user in (f".\\{lab.credentials.user}", f"WS001\\{lab.credentials.user}"):
        proto = winrm.Protocol(
            lab.host("ws001").endpoint,
            transport="ntlm",
            username=user,
            password=lab.credentials.password,
        )
        result, code = run_module(proto, ENGINE, engine_read([OLE]))
        assert code == 0, (user, result)


def test_wrong_password_is_rejected_like_windows(lab):
    host = lab.host("ws001")
    before = host.counters.snapshot(0)["auth_failures"]
    with pytest.raises(InvalidCredentialsError):
        ntlm_protocol(lab, password="wrong").open_shell()
    assert host.counters.snapshot(0)["auth_failures"] == before + 1


def test_only_negotiate_is_offered_and_basic_is_refused(lab):
    endpoint = lab.host("ws001").endpoint
    bare = requests.post(endpoint, data=b"<x/>")
    assert bare.status_code == 401
    assert bare.raw.headers.getlist("WWW-Authenticate") == ["Negotiate"]
    basic = requests.post(
        endpoint, data=b"<x/>", auth=(lab.credentials.user, lab.credentials.password)
    )
    assert basic.status_code == 401
    junk = requests.post(endpoint, data=b"<x/>", headers={"Authorization": "Negotiate AAAA"})
    assert junk.status_code == 401


def _handshake(lab, protocol: str, password: str | None = None):
    """Authenticate one keep-alive session with an SPNEGO or bare NTLM client context."""
    context = spnego.client(
        lab.credentials.user,
        password or lab.credentials.password,
        hostname="ws001",
        service="HTTP",
        protocol=protocol,
    )
    session = requests.Session()
    endpoint = lab.host("ws001").endpoint
    token = context.step()
    replies = []
    while token is not None:
        reply = session.post(
            endpoint,
            data=b"",
            headers={"Authorization": f"Negotiate {base64.b64encode(token).decode()}"},
        )
        replies.append(reply)
        answer = reply.headers.get("WWW-Authenticate", "")
        scheme, _, value = answer.partition(" ")
        if reply.status_code != 401 and not value:
            break
        if scheme != "Negotiate" or not value:
            break
        token = context.step(base64.b64decode(value))
    return context, replies


def test_spnego_wrapped_ntlm_gets_the_final_token_on_the_first_200(lab):
    context, replies = _handshake(lab, "negotiate")

    assert [r.status_code for r in replies] == [401, 200]
    # The client is only complete once it has read the server's last SPNEGO token, which
    # arrives in WWW-Authenticate on the 200, as from Windows.
    assert replies[-1].headers["WWW-Authenticate"].startswith("Negotiate ")
    assert context.complete


def test_bare_ntlm_has_no_final_token(lab):
    context, replies = _handshake(lab, "ntlm")

    assert [r.status_code for r in replies] == [401, 200]
    assert "WWW-Authenticate" not in replies[-1].headers
    assert context.complete


def test_spnego_with_a_wrong_password_is_refused(lab):
    host = lab.host("ws001")
    before = host.counters.snapshot(0)["auth_failures"]
    context, replies = _handshake(lab, "negotiate", password="wrong")

    assert replies[-1].status_code == 401 and not context.complete
    assert host.counters.snapshot(0)["auth_failures"] == before + 1


def test_concurrent_connections_each_keep_their_own_context(lab):
    errors: list[BaseException] = []

    def worker(name: str) -> None:
        try:
            for _ in range(3):
                result, code = run_module(
                    ntlm_protocol(lab, lab.host(name).endpoint),
                    ENGINE,
                    engine_read([OLE]),
                )
                assert code == 0 and hostname_of(result) == name.upper()
        except BaseException as exc:  # reported below, from the test thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(f"ws00{i % 2 + 1}",)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors[0]


def test_credential_file_is_private_and_removed_on_stop():
    with Lab(hosts=1, auth="ntlm", password="Secret-Pass-1!") as running:
        ntlm_protocol(running).open_shell()  # the handshake points the acceptor at the file
        path = Path(os.environ[CREDENTIAL_ENV])
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert ":lab-admin:Secret-Pass-1!" in path.read_text()
    assert not path.exists()
    assert os.environ.get(CREDENTIAL_ENV) != str(path)


def test_inventory_and_cli_select_ntlm(lab):
    text = lab.inventory_path.read_text()
    assert "ansible_winrm_transport=ntlm" in text
    assert "message_encryption" not in text  # pywinrm's auto: encrypted over HTTP
    assert lab.run_info()["auth"] == "ntlm"
    args = build_parser().parse_args(["start", "--auth", "ntlm"])
    assert _fleet_argv(args)[_fleet_argv(args).index("--auth") + 1] == "ntlm"
    assert build_parser().parse_args(["start"]).auth == "basic"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["start", "--auth", "kerberos"])


def test_basic_lab_is_unchanged():
    with Lab(hosts=1) as basic_lab:
        assert "ansible_winrm_transport=basic" in basic_lab.inventory_path.read_text()
        proto = winrm.Protocol(
            basic_lab.host("ws001").endpoint,
            transport="basic",
            username=basic_lab.credentials.user,
            password=basic_lab.credentials.password,
        )
        _out, err, code = run(proto, "ipconfig")
        assert code == 1 and b"runs no PowerShell" in err
        # A Basic lab sends no NTLM challenge: requests_ntlm gives up with PermissionError.
        with pytest.raises((InvalidCredentialsError, PermissionError)):
            ntlm_protocol(basic_lab).open_shell()


@pytest.mark.e2e
def test_site_playbook_converges_on_two_ntlm_hosts(tmp_path):
    def playbook():
        return subprocess.run(
            [
                str(BIN / "ansible-playbook"),
                "-i",
                str(lab.inventory_path),
                "-f",
                "2",
                str(ROOT / "playbooks" / "site.yml"),
                "-e",
                json.dumps(
                    {
                        "offer_remote_assistance_helpers": ["CONTOSO\\Helpdesk"],
                        "offer_remote_assistance_permission": "control",
                    }
                ),
            ],
            capture_output=True,
            text=True,
            env=ansible_env(),
            cwd=tmp_path,
            timeout=600,
        )

    with Lab(hosts=2, profile="fresh", auth="ntlm") as lab:
        first = playbook()
        assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
        again = playbook()
        assert again.returncode == 0, again.stdout[-4000:] + again.stderr[-2000:]
        for host in lab.hosts:
            short = host.short_name
            assert f"{host.name}" in first.stdout
            assert _recap_changed(first.stdout, host.name) > 0
            assert _recap_changed(again.stdout, host.name) == 0
            counters = host.counters.snapshot(0)
            assert counters["auth_failures"] == 0
            assert counters["encrypted_requests"] >= counters["commands"] > 0
            read, code = run_module(ntlm_protocol(lab, host.endpoint), ENGINE, engine_read([TS]))
            assert code == 0 and hostname_of(read) == short.upper()
            assert engine_value(read, "fAllowUnsolicited")["data"] == 1
            assert engine_value(read, "fAllowUnsolicitedFullControl")["data"] == 1


def _recap_changed(stdout: str, host: str) -> int:
    for line in stdout.splitlines():
        if line.startswith(host) and "changed=" in line:
            return int(line.split("changed=")[1].split()[0])
    raise AssertionError(f"no recap line for {host}")


@pytest.mark.e2e
@pytest.mark.slow
def test_fleet_of_200_ntlm_hosts_with_forks_50(tmp_path):
    play = [
        {
            "hosts": "windows",
            "gather_facts": False,
            "tasks": [
                {"name": "read", ENGINE: engine_read([TS]), "register": "read"},
                {
                    "name": "each host answered for itself",
                    "ansible.builtin.assert": {
                        # The read's last key is the computer name (contract 2: no facts
                        # query; the controller reads them from the registry).
                        "that": [
                            "((read['keys'] | last)['values'] | selectattr('name', 'equalto',"
                            " 'ComputerName') | map(attribute='data') | first)"
                            " == (inventory_hostname.split('.')[0] | upper)"
                        ]
                    },
                },
            ],
        }
    ]
    path = tmp_path / "play.yml"
    path.write_text(json.dumps(play))  # JSON is YAML
    with Lab(hosts=200, mix=True, auth="ntlm") as lab:
        result = subprocess.run(
            [str(BIN / "ansible-playbook"), "-i", str(lab.inventory_path), "-f", "50", str(path)],
            capture_output=True,
            text=True,
            env=ansible_env(),
            cwd=tmp_path,
            timeout=900,
        )
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        for host in lab.hosts:
            counters = host.counters.snapshot(0)
            assert counters["module_runs"] == {ENGINE: 1}, host.name
            assert counters["auth_failures"] == 0 and counters["encrypted_requests"] > 0
