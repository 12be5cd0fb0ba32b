"""Faults on the wire of one host, injected through the control API.

Host-level faults (denied keys, failing writes, concurrent changes) live on the host
state (`state.faults`) because the engine must honour them; these are the ones only the
network layer can produce.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from winra_lab.wire.wsman import REPLY_ACTION

ACTIONS = tuple(REPLY_ACTION)  # the short WS-Man action names the service answers


class FaultSpecError(ValueError):
    """A fault request names an unknown fault or an invalid value."""


@dataclass
class WireFaults:
    # Close the host's listening socket: new connections are refused (ECONNREFUSED),
    # open ones are closed at their next request. Cleared = listening again.
    refuse_connections: bool = False
    # Close the connection without answering when this WS-Man action arrives
    # ("Receive" = mid-command: the command ran, its output is lost).
    drop_connection_on: str | None = None
    # Answer this action (or "any") with HTTP 500 and an empty body.
    http_500_on: str | None = None
    # Extra delay added to every answer of this host, in milliseconds.
    slow_ms: int = 0
    # How many more times drop / HTTP 500 fire before clearing themselves; None = until cleared.
    times: int | None = None

    def to_json(self) -> dict:
        return asdict(self)

    def matches(self, setting: str | None, action: str) -> bool:
        return setting is not None and setting in ("any", action)

    def consume(self) -> None:
        """One drop / HTTP 500 fired; a counted fault clears itself when spent."""
        if self.times is None:
            return
        self.times -= 1
        if self.times <= 0:
            self.drop_connection_on = None
            self.http_500_on = None
            self.times = None


WIRE_FAULT_NAMES = {f.name for f in fields(WireFaults)}


def apply_spec(faults: WireFaults, spec: dict) -> None:
    """Update `faults` from the wire part of a control API request (validated first)."""
    for key, value in spec.items():
        if key not in WIRE_FAULT_NAMES:
            raise FaultSpecError(f"unknown wire fault {key!r}")
        if key in ("drop_connection_on", "http_500_on") and value not in (None, *ACTIONS, "any"):
            raise FaultSpecError(f"{key} must be one of {[*ACTIONS, 'any']}, not {value!r}")
        if key == "refuse_connections" and not isinstance(value, bool):
            raise FaultSpecError("refuse_connections must be true or false")
        if key == "slow_ms" and (not isinstance(value, int) or value < 0):
            raise FaultSpecError("slow_ms must be a non-negative integer")
        if key == "times" and value is not None and (not isinstance(value, int) or value < 1):
            raise FaultSpecError("times must be a positive integer or null")
    for key, value in spec.items():
        setattr(faults, key, value)
