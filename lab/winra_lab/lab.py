"""The in-process lab: a fleet served from threads of the calling process.

    with Lab(hosts=3, profile="fresh") as lab:
        lab.inventory_path, lab.host("ws001").state, lab.control_url, lab.client.counters()

The CLI's `serve` runs exactly this in the foreground; tests use it directly.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from winra_lab import inventory
from winra_lab.client import ControlClient
from winra_lab.fleet import DEFAULT_DOMAIN, Fleet, StateFactory
from winra_lab.labhost import LabHost
from winra_lab.latency import preset
from winra_lab.recorder import Recorder
from winra_lab.wire.auth import AUTH_SCHEMES, DEFAULT_USER, Credentials, generate_password
from winra_lab.wire.ntlm_auth import NtlmCredentialFile
from winra_lab.wire.server import LabServer


def choose_profiles(count: int, profile: str | None, mix: bool) -> list[str]:
    from winra_lab.windows import profiles

    if mix:
        return list(profiles.fleet_mix(count))
    name = profile or "fresh"
    if name not in profiles.PROFILES:
        raise ValueError(f"unknown profile {name!r}; choose from {sorted(profiles.PROFILES)}")
    return [name] * count


class Lab:
    def __init__(
        self,
        hosts: int = 1,
        profile: str | None = None,
        mix: bool = False,
        profiles: list[str] | None = None,
        addressing: str = "loopback",
        port: int = 0,
        control_port: int = 0,
        latency: str = "none",
        user: str = DEFAULT_USER,
        password: str | None = None,
        inventory_path: str | Path | None = None,
        state_dir: str | Path | None = None,
        domain: str = DEFAULT_DOMAIN,
        build_state: StateFactory | None = None,
        record_dir: str | Path | None = None,
        auth: str = "basic",
        connection: str = "winrm",
    ) -> None:
        if auth not in AUTH_SCHEMES:
            raise ValueError(f"auth must be one of {AUTH_SCHEMES}, not {auth!r}")
        if connection not in inventory.CONNECTIONS:
            raise ValueError(
                f"connection must be one of {inventory.CONNECTIONS}, not {connection!r}"
            )
        self.auth = auth
        # Both connections are always served; this picks what the inventory asks for.
        self.connection = connection
        self.credentials = Credentials(user, password or generate_password())
        self._tmp = None
        if inventory_path is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="winra-lab-")
            inventory_path = Path(self._tmp.name) / "inventory.ini"
        self.inventory_path = Path(inventory_path)
        self.fleet = Fleet.build(
            hosts,
            profiles or choose_profiles(hosts, profile, mix),
            self.credentials,
            addressing=addressing,
            port=port,
            latency=preset(latency),
            domain=domain,
            state_dir=Path(state_dir) if state_dir else None,
            build_state=build_state,
        )
        if record_dir is not None:
            recorder = Recorder(record_dir)
            for host in self.fleet.hosts:
                host.recorder = recorder
        self._ntlm_store = (
            NtlmCredentialFile(self.credentials, [h.name for h in self.fleet.hosts])
            if auth == "ntlm"
            else None
        )
        self.server = LabServer(self.fleet, control_port=control_port, ntlm_store=self._ntlm_store)
        self._started = False

    # ------------------------------------------------------------ lifecycle

    def start(self) -> Lab:
        self.server.start()
        self._started = True
        inventory.write(
            self.inventory_path,
            self.host_summaries(),
            self.credentials.user,
            self.credentials.password,
            transport=self.auth,
            connection=self.connection,
        )
        return self

    def stop(self) -> None:
        if self._started:
            self._started = False
            self.server.stop()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        if self._ntlm_store is not None:
            self._ntlm_store.remove()
            self._ntlm_store = None

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    # ------------------------------------------------------------ access

    @property
    def hosts(self) -> list[LabHost]:
        return self.fleet.hosts

    def host(self, name: str) -> LabHost:
        return self.fleet.host(name)

    def host_summaries(self) -> list[dict]:
        return [h.summary() for h in self.fleet.hosts]

    @property
    def control_url(self) -> str:
        return self.server.control_url

    def control(self, method: str, path: str, body=None):
        return self.client.call(method, path, body)

    @property
    def client(self) -> ControlClient:
        return ControlClient(self.control_url)

    def run_info(self) -> dict:
        """What `start` records in the run file and `status` reports."""
        return {
            "control_url": self.control_url,
            "addressing": self.fleet.addressing,
            "auth": self.auth,
            "connection": self.connection,
            "user": self.credentials.user,
            "password": self.credentials.password,
            "inventory": str(self.inventory_path),
            "state_dir": str(self.fleet.state_dir) if self.fleet.state_dir else None,
            "hosts": self.host_summaries(),
        }
