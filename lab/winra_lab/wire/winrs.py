"""Windows Remote Shell semantics: shells, commands, stdin, output and timing.

`handle` answers one parsed WS-Management request for one host. A command runs once,
when its stdin is complete (after `End="true"`, or at the first Receive when no stdin
was sent), and its answer becomes visible after the latency model's cost. A Receive
waits at most the client's OperationTimeout and then answers with the WS-Man timeout
fault, so that the client polls again exactly as it does against Windows.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field

from winra_lab import dispatch, payload
from winra_lab.wire import wsman
from winra_lab.wire.wsman import Fault, WsmanRequest

DEFAULT_OPERATION_TIMEOUT_S = 60.0


class WsmanFault(Exception):
    def __init__(self, fault: Fault) -> None:
        super().__init__(fault.reason)
        self.fault = fault


@dataclass(eq=False)
class Command:
    id: str
    command: str
    arguments: str
    stdin: bytearray = field(default_factory=bytearray)
    stdin_started: bool = False
    stdin_ended: bool = False
    runnable_at: float | None = None
    output: tuple[bytes, bytes, int] | None = None
    ready_at: float = 0.0
    # One Receive at a time runs the command; others wait on this lock.
    run_lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass(eq=False)
class Shell:
    id: str
    commands: dict[str, Command] = field(default_factory=dict)


class ShellTable:
    """The open shells of one host, WinRS and PowerShell alike; connection threads share it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._shells: dict[str, Shell] = {}

    def create(self) -> Shell:
        shell = Shell(str(uuid.uuid4()).upper())
        with self._lock:
            self._shells[shell.id] = shell
        return shell

    def add(self, shell) -> bool:
        """Register a shell whose id the client chose (PSRP); False if the id is taken."""
        with self._lock:
            if shell.id in self._shells:
                return False
            self._shells[shell.id] = shell
        return True

    def get(self, shell_id: str | None, kind: type = Shell):
        """The open shell of that id and kind: a WinRS id on the PowerShell resource (or
        the reverse) is not found, as on Windows."""
        with self._lock:
            shell = self._shells.get((shell_id or "").upper()) or self._shells.get(shell_id or "")
        if not isinstance(shell, kind):
            raise WsmanFault(wsman.shell_not_found(shell_id or ""))
        return shell

    def delete(self, shell_id: str | None, kind: type = Shell) -> None:
        with self._lock:
            if not isinstance(self._shells.get(shell_id or ""), kind):
                raise WsmanFault(wsman.shell_not_found(shell_id or ""))
            del self._shells[shell_id]

    def add_command(self, shell: Shell, command: Command) -> None:
        with self._lock:
            shell.commands[command.id] = command

    def command(self, shell: Shell, command_id: str | None) -> Command:
        with self._lock:
            command = shell.commands.get(command_id or "")
        if command is None:
            raise WsmanFault(wsman.command_not_found(command_id or ""))
        return command

    def remove_command(self, shell: Shell, command_id: str | None) -> None:
        with self._lock:
            shell.commands.pop(command_id or "", None)

    def count(self) -> int:
        with self._lock:
            return len(self._shells)

    def clear(self) -> None:
        with self._lock:
            self._shells.clear()


def _module_output(result: dict) -> tuple[bytes, bytes, int]:
    return json.dumps(result).encode("utf-8"), b"", 1 if result.get("failed") else 0


def execute(
    host, command: str, arguments: str, stdin: bytes
) -> tuple[bytes, bytes, int, str | None]:
    """Run one complete command: (stdout, stderr, exit code, module FQCN or None)."""
    try:
        decoded = payload.decode(command, arguments, stdin)
    except payload.PayloadError as exc:
        decoded = payload.Refusal(f"{payload.NO_POWERSHELL} Unreadable Ansible payload: {exc}")
    if isinstance(decoded, payload.Refusal):
        host.counters.refused()
        stdout = json.dumps({"failed": True, "changed": False, "msg": decoded.msg}).encode()
        return stdout, decoded.msg.encode("utf-8"), 1, None
    result = dispatch.run_module(host, decoded)
    return (*_module_output(result), dispatch.canonical_name(decoded.module))


def _run_when_ready(host, command: Command) -> None:
    with command.run_lock:
        if command.output is not None:
            return
        if host.recorder is not None:
            host.recorder.record(
                host.name, command.command, command.arguments, bytes(command.stdin)
            )
        stdout, stderr, code, module = execute(
            host, command.command, command.arguments, bytes(command.stdin)
        )
        command.stdin.clear()
        command.ready_at = (command.runnable_at or time.monotonic()) + host.latency.command_cost_s(
            module
        )
        command.output = (stdout, stderr, code)


def wait_until_ready(ready_at: float, timeout: float) -> bool:
    """Sleep until `ready_at`; False, after sleeping `timeout`, when it is further away than
    the client's OperationTimeout (the client then gets the timeout fault and polls again).
    Shared by WinRS commands and PSRP pipelines."""
    wait = ready_at - time.monotonic()
    if wait > timeout:
        time.sleep(timeout)
        return False
    if wait > 0:
        time.sleep(wait)
    return True


def _receive(host, request: WsmanRequest, shell: Shell) -> bytes:
    command = host.shells.command(shell, request.command_id)
    timeout = request.operation_timeout_s or DEFAULT_OPERATION_TIMEOUT_S
    if command.stdin_started and not command.stdin_ended:
        # A real process blocks reading stdin; the client gets a timeout and polls again.
        time.sleep(timeout)
        raise WsmanFault(wsman.timed_out())
    if command.runnable_at is None:
        command.runnable_at = time.monotonic()
    _run_when_ready(host, command)
    if not wait_until_ready(command.ready_at, timeout):
        raise WsmanFault(wsman.timed_out())
    stdout, stderr, code = command.output
    # Output is delivered once, as Windows does; a repeated Receive sees only Done.
    command.output = (b"", b"", code)
    return wsman.render_receive(request.message_id, command.id, stdout, stderr, code)


def handle(host, request: WsmanRequest) -> bytes:
    """Answer one request for `host`; raises WsmanFault for WS-Man faults."""
    action = request.action
    if request.resource_uri and request.resource_uri != wsman.SHELL_RESOURCE_URI:
        raise WsmanFault(
            wsman.bad_request(
                f"The lab serves only the resources {wsman.SHELL_RESOURCE_URI} (WinRS) and "
                "http://schemas.microsoft.com/powershell/Microsoft.PowerShell (PSRP)."
            )
        )
    if action == "Create":
        shell = host.shells.create()
        host.counters.shell()
        return wsman.render_create(request.message_id, shell.id, host.endpoint)
    if action == "Delete":
        host.shells.delete(request.shell_id)
        return wsman.render_delete(request.message_id)

    shell = host.shells.get(request.shell_id)
    if action == "Command":
        command = Command(
            id=str(uuid.uuid4()).upper(),
            command=request.command,
            arguments=request.arguments,
        )
        host.shells.add_command(shell, command)
        host.counters.command()
        return wsman.render_command(request.message_id, command.id)
    if action == "Send":
        command = host.shells.command(shell, request.command_id)
        if command.stdin_ended:
            raise WsmanFault(wsman.bad_request("stdin of this command is already closed"))
        command.stdin_started = True
        command.stdin += request.stdin
        if request.stdin_end:
            command.stdin_ended = True
            command.runnable_at = time.monotonic()
        return wsman.render_send(request.message_id)
    if action == "Receive":
        return _receive(host, request, shell)
    if action == "Signal":
        host.shells.remove_command(shell, request.command_id)
        return wsman.render_signal(request.message_id)
    raise WsmanFault(wsman.unsupported_action(action))
