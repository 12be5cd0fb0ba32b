"""The set of emulated hosts: names, addresses, profiles, and their saved state.

Host ws001 is 127.0.0.2 with loopback addressing (every host on one port) or 127.0.0.1
on its own port with ports addressing (for systems without the whole 127/8 on loopback,
such as macOS).
"""

from __future__ import annotations

import ipaddress
import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from winra_lab.labhost import LabHost
from winra_lab.latency import LatencyModel
from winra_lab.wire.auth import Credentials

ADDRESSING = ("loopback", "ports")
DEFAULT_DOMAIN = "contoso.test"
MAX_HOSTS = 60000

StateFactory = Callable[[str, int, str], object]


def host_name(index: int, domain: str = DEFAULT_DOMAIN) -> str:
    return f"ws{index:03d}.{domain}"


def loopback_address(index: int) -> str:
    # ws001 -> 127.0.0.2: 127.0.0.1 stays free for the control API and other services.
    return str(ipaddress.IPv4Address("127.0.0.1") + index)


def _default_state_factory() -> StateFactory:
    from winra_lab.windows import profiles

    return profiles.build


def _state_from_json(data: dict):
    from winra_lab.windows.hoststate import HostState

    return HostState.from_json(data)


class Fleet:
    def __init__(
        self,
        hosts: list[LabHost],
        credentials: Credentials,
        addressing: str,
        build_state: StateFactory,
        state_dir: Path | None = None,
        load_state: Callable[[dict], object] | None = None,
    ) -> None:
        self.hosts = hosts
        self.credentials = credentials
        self.addressing = addressing
        self.build_state = build_state
        self.state_dir = state_dir
        self.load_state = load_state or _state_from_json
        self._by_name = {}
        for host in hosts:
            self._by_name[host.name.lower()] = host
            self._by_name[host.short_name.lower()] = host
        self._save_lock = threading.Lock()

    @classmethod
    def build(
        cls,
        count: int,
        profiles: list[str],
        credentials: Credentials,
        addressing: str = "loopback",
        port: int = 0,
        latency: LatencyModel | None = None,
        domain: str = DEFAULT_DOMAIN,
        state_dir: Path | None = None,
        build_state: StateFactory | None = None,
        load_state: Callable[[dict], object] | None = None,
    ) -> Fleet:
        """`profiles` holds one profile name per host (see profiles.fleet_mix)."""
        if addressing not in ADDRESSING:
            raise ValueError(f"addressing must be one of {ADDRESSING}, not {addressing!r}")
        if not 1 <= count <= MAX_HOSTS:
            raise ValueError(f"the number of hosts must be 1..{MAX_HOSTS}, not {count}")
        if len(profiles) != count:
            raise ValueError("one profile per host is needed")
        build_state = build_state or _default_state_factory()
        load_state = load_state or _state_from_json
        hosts = []
        for index in range(1, count + 1):
            name = host_name(index, domain)
            if addressing == "loopback":
                address, host_port = loopback_address(index), port
            else:
                address, host_port = "127.0.0.1", (port + index - 1) if port else 0
            profile = profiles[index - 1]
            saved = _read_saved(state_dir, name)
            state = load_state(saved) if saved else build_state(profile, index, _netbios(name))
            hosts.append(
                LabHost(
                    name=name,
                    index=index,
                    profile=profile,
                    address=address,
                    port=host_port,
                    state=state,
                    latency=latency or LatencyModel(),
                )
            )
        return cls(hosts, credentials, addressing, build_state, state_dir, load_state)

    def host(self, name: str) -> LabHost:
        try:
            return self._by_name[name.lower()]
        except KeyError:
            raise KeyError(f"no lab host named {name!r}") from None

    # ------------------------------------------------------------- state

    def reseed(self, host: LabHost) -> None:
        """Back to the profile's initial state: new registry, no host faults, no shells."""
        with host.lock:
            host.state = self.build_state(host.profile, host.index, _netbios(host.name))
        host.shells.clear()
        host.counters.reset()

    def save(self) -> int:
        """Write each host's state to the state directory (atomically); returns the count."""
        if self.state_dir is None:
            return 0
        self.state_dir.mkdir(parents=True, exist_ok=True)
        saved = 0
        with self._save_lock:
            for host in self.hosts:
                with host.lock:
                    data = {
                        "name": host.name,
                        "profile": host.profile,
                        "state": host.state.to_json(),
                    }
                path = _state_path(self.state_dir, host.name)
                fd, tmp = tempfile.mkstemp(dir=self.state_dir, prefix=".tmp-", suffix=".json")
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    json.dump(data, handle, indent=1, sort_keys=True)
                os.replace(tmp, path)
                saved += 1
        return saved


def _state_path(state_dir: Path, name: str) -> Path:
    return state_dir / f"{name}.json"


def _read_saved(state_dir: Path | None, name: str) -> dict | None:
    """The saved state of a host (state.to_json() form), or None."""
    if state_dir is None:
        return None
    path = _state_path(state_dir, name)
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))["state"]


def _netbios(name: str) -> str:
    """ws001.contoso.test -> WS001 (what a Windows host reports as its name)."""
    return name.split(".", 1)[0].upper()
