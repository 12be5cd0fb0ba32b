"""Sockets and threads: one listening socket per emulated host, one thread per connection.

A connection belongs to the host whose listening socket (local address and port)
accepted it. Refusing connections closes that host's listening socket for real, so
clients see ECONNREFUSED; clearing the fault opens it again on the same address and port.
One accept loop (selectors) serves every listener; listener changes are queued to it so
that only that thread ever touches the selector.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import selectors
import socket
import threading
from collections.abc import Callable
from http.server import ThreadingHTTPServer

from winra_lab.control import ControlHandler
from winra_lab.fleet import Fleet
from winra_lab.wire.http import ConnectionContext, WsmanHandler
from winra_lab.wire.ntlm_auth import NtlmCredentialFile

log = logging.getLogger(__name__)

LISTEN_BACKLOG = 256


class PortUnavailable(OSError):
    pass


def _bind(address: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((address, port))
        sock.listen(LISTEN_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.setblocking(False)
    return sock


class LabServer:
    """Serves a Fleet: WinRM listeners for every host plus the control API."""

    def __init__(
        self,
        fleet: Fleet,
        control_port: int = 0,
        control_address: str = "127.0.0.1",
        ntlm_store: NtlmCredentialFile | None = None,
    ):
        self.fleet = fleet
        self.ntlm_store = ntlm_store  # set: every host speaks NTLM instead of Basic
        self._selector = selectors.DefaultSelector()
        self._listeners: dict[str, socket.socket] = {}
        self._connections: dict[socket.socket, str] = {}
        self._conn_lock = threading.Lock()
        self._pending: list[Callable[[], None]] = []
        self._pending_lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._stopping = threading.Event()
        self._accept_thread: threading.Thread | None = None
        self.control = ThreadingHTTPServer((control_address, control_port), ControlHandler)
        self.control.daemon_threads = True
        self.control.lab_server = self  # the control handler reaches the lab through this
        self._control_thread: threading.Thread | None = None

    # --------------------------------------------------------------- lifecycle

    @property
    def control_url(self) -> str:
        host, port = self.control.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> None:
        """Bind every host's listener and the control API, then serve in threads."""
        self._bind_all()
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name="winra-lab-accept", daemon=True
        )
        self._accept_thread.start()
        self._control_thread = threading.Thread(
            target=self.control.serve_forever, name="winra-lab-control", daemon=True
        )
        self._control_thread.start()

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        self._wake()
        if self._accept_thread:
            self._accept_thread.join(timeout=5)
        for sock in list(self._listeners.values()):
            sock.close()
        self._listeners.clear()
        with self._conn_lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        self.control.shutdown()
        self.control.server_close()
        self._selector.close()
        self._wake_r.close()
        self._wake_w.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until stop() is called or `timeout` passes; True once stopped."""
        return self._stopping.wait(timeout)

    # --------------------------------------------------------------- binding

    def _bind_all(self) -> None:
        hosts = self.fleet.hosts
        if self.fleet.addressing == "loopback" and hosts and hosts[0].port == 0:
            # One port shared by every address: find one free on all of them.
            for _attempt in range(50):
                try:
                    first = _bind(hosts[0].address, 0)
                except OSError as exc:
                    raise PortUnavailable(f"cannot bind {hosts[0].address}: {exc}") from exc
                port = first.getsockname()[1]
                bound = {hosts[0].name: first}
                try:
                    for host in hosts[1:]:
                        bound[host.name] = _bind(host.address, port)
                except OSError as exc:
                    for sock in bound.values():
                        sock.close()
                    if exc.errno == errno.EADDRINUSE:
                        continue
                    raise
                for host in hosts:
                    host.port = port
                    self._register(host.name, bound[host.name])
                return
            raise PortUnavailable("no port is free on every loopback address")
        for host in hosts:
            try:
                sock = _bind(host.address, host.port)
            except OSError as exc:
                raise PortUnavailable(f"cannot bind {host.address}:{host.port}: {exc}") from exc
            host.port = sock.getsockname()[1]
            self._register(host.name, sock)

    def _register(self, name: str, sock: socket.socket) -> None:
        self._listeners[name] = sock
        self._selector.register(sock, selectors.EVENT_READ, name)

    # --------------------------------------------------------------- refuse / reopen

    def _run_in_loop(self, action: Callable[[], None]) -> None:
        """Run `action` on the accept thread and wait for it (the selector is not shared)."""
        done = threading.Event()
        errors: list[BaseException] = []

        def wrapped() -> None:
            try:
                action()
            except BaseException as exc:  # handed back to the caller below
                errors.append(exc)
            finally:
                done.set()

        with self._pending_lock:
            self._pending.append(wrapped)
        self._wake()
        if not done.wait(timeout=10):
            raise TimeoutError("the accept loop did not answer")
        if errors:
            raise errors[0]

    def set_listening(self, name: str, listening: bool) -> None:
        """Close (refuse connections) or reopen one host's listening socket."""
        host = self.fleet.host(name)

        def change() -> None:
            sock = self._listeners.get(host.name)
            if not listening and sock is not None:
                self._selector.unregister(sock)
                sock.close()
                del self._listeners[host.name]
            elif listening and sock is None:
                self._register(host.name, _bind(host.address, host.port))

        self._run_in_loop(change)
        if not listening:
            self.close_connections(host.name)

    def is_listening(self, name: str) -> bool:
        return self.fleet.host(name).name in self._listeners

    def close_connections(self, name: str) -> None:
        with self._conn_lock:
            victims = [conn for conn, owner in self._connections.items() if owner == name]
        for conn in victims:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def open_connections(self, name: str | None = None) -> list[socket.socket]:
        with self._conn_lock:
            return [c for c, owner in self._connections.items() if name in (None, owner)]

    # --------------------------------------------------------------- serving

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            for key, _events in self._selector.select(timeout=1.0):
                if key.data is None:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except (BlockingIOError, InterruptedError):
                        pass
                    continue
                self._accept(key.fileobj, key.data)
            with self._pending_lock:
                pending, self._pending = self._pending, []
            for action in pending:
                action()

    def _accept(self, listener: socket.socket, name: str) -> None:
        try:
            conn, peer = listener.accept()
        except (BlockingIOError, InterruptedError, ConnectionAbortedError):
            return
        conn.setblocking(True)
        host = self.fleet.host(name)
        host.counters.connection()
        with self._conn_lock:
            self._connections[conn] = name
        threading.Thread(
            target=self._serve_connection,
            args=(conn, peer, host),
            name=f"winra-lab-{host.short_name}",
            daemon=True,
        ).start()

    def _forget(self, conn: socket.socket) -> None:
        with self._conn_lock:
            self._connections.pop(conn, None)

    def _serve_connection(self, conn: socket.socket, peer, host) -> None:
        context = ConnectionContext(host, self.fleet.credentials, ntlm_store=self.ntlm_store)
        try:
            WsmanHandler(conn, peer, context)
        except (ConnectionError, TimeoutError, OSError):
            pass  # the client (or a drop fault) went away; nothing to answer
        except Exception:
            log.exception("connection to %s failed", host.name)
        finally:
            self._forget(conn)
            with contextlib.suppress(OSError):
                conn.close()
