"""Everything one emulated host knows: registry, facts, accounts, firewall rules, faults."""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from winra_lab.windows.files import FileStore
from winra_lab.windows.firewall import FirewallRule
from winra_lab.windows.registry import Registry, data_from_json, normalise_path, same_path


@dataclass
class RegistryFaults:
    """Faults the lab injects into the host engine.

    deny_keys: key paths that cannot be opened, to read or to write, when they exist, nor
        created when they do not; a denied key that does not exist reads as missing. Only
        the listed keys, not their subkeys (docs/engine-contract.md, contract examples).
    fail_write_after: k -> in each apply, the change after k successfully written changes
        fails (each change of the request is one write), which triggers the rollback.
    change_before_apply: changes `{op: set_value|delete_value|set_rule, ...}` made by
        someone else at the start of the next apply; consumed by that apply.
    change_before_rollback: changes made by someone else when the fail_write_after failure
        happens, before the rollback runs (a concurrent writer during the apply).
    firewall_unavailable: every firewall query fails (Windows Defender Firewall service
        stopped, NetSecurity provider missing).
    lsa_unavailable: account translation fails (LSA or the domain unreachable).
    """

    deny_keys: list[str] = field(default_factory=list)
    fail_write_after: int | None = None
    change_before_apply: list[dict] = field(default_factory=list)
    change_before_rollback: list[dict] = field(default_factory=list)
    firewall_unavailable: bool = False
    lsa_unavailable: bool = False

    def denies(self, path: str) -> bool:
        return any(same_path(path, denied) for denied in self.deny_keys)

    def to_json(self) -> dict:
        return {
            "deny_keys": list(self.deny_keys),
            "fail_write_after": self.fail_write_after,
            "change_before_apply": [dict(c) for c in self.change_before_apply],
            "change_before_rollback": [dict(c) for c in self.change_before_rollback],
            "firewall_unavailable": self.firewall_unavailable,
            "lsa_unavailable": self.lsa_unavailable,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> RegistryFaults:
        data = data or {}
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fault(s): {', '.join(sorted(unknown))}")
        faults = cls(
            deny_keys=[normalise_path(p) for p in data.get("deny_keys") or []],
            fail_write_after=data.get("fail_write_after"),
            change_before_apply=[dict(c) for c in data.get("change_before_apply") or []],
            change_before_rollback=[dict(c) for c in data.get("change_before_rollback") or []],
            firewall_unavailable=_flag(data, "firewall_unavailable"),
            lsa_unavailable=_flag(data, "lsa_unavailable"),
        )
        after = faults.fail_write_after
        if after is not None and (
            isinstance(after, bool) or not isinstance(after, int) or after < 0
        ):
            raise ValueError(f"fail_write_after must be a non-negative integer, got {after!r}")
        for change in faults.change_before_apply + faults.change_before_rollback:
            _check_external_change(change)
        return faults


def _flag(data: dict, name: str) -> bool:
    value = data.get(name, False)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a boolean, got {value!r}")
    return value


_EXTERNAL_FIELDS = {
    "set_value": ("path", "name", "type", "data"),
    "delete_value": ("path", "name"),
    "set_rule": ("name", "enabled", "profiles"),
}


def _check_external_change(change: dict) -> None:
    """Refuse a change_before_apply item now rather than in the middle of an apply."""
    fields = _EXTERNAL_FIELDS.get(change.get("op"))
    if fields is None:
        raise ValueError(
            f"change_before_apply: op must be one of {', '.join(_EXTERNAL_FIELDS)}: {change!r}"
        )
    missing = [f for f in fields if f not in change]
    if missing:
        raise ValueError(
            f"change_before_apply: {change['op']} needs {', '.join(missing)}: {change!r}"
        )
    if "path" in fields:
        normalise_path(change["path"])
    if change["op"] == "set_value":
        data_from_json(change["type"], change["data"])


class AccountDirectory:
    """Account name -> SID; names resolve case-insensitively and keep their stored case."""

    def __init__(self, accounts: dict[str, str] | None = None):
        self._by_folded = {name.casefold(): (name, sid) for name, sid in (accounts or {}).items()}

    def resolve(self, name: str) -> str | None:
        entry = self._by_folded.get(name.casefold())
        return entry[1] if entry else None

    def to_json(self) -> dict[str, str]:
        return dict(self._by_folded.values())


@dataclass
class HostState:
    hostname: str
    profile: str
    facts: dict
    accounts: AccountDirectory
    registry: Registry
    firewall_rules: list[FirewallRule]
    faults: RegistryFaults = field(default_factory=RegistryFaults)
    # Writes made by "someone else" (change_before_apply): never in registry.writes.
    external_writes: int = 0
    # set_rule writes (rules are not registry values, so not in registry.writes).
    firewall_writes: int = 0
    # What domain Group Policy sets on this host, as the Resultant Set of Policy reports it:
    # [{path, name, type, data (contract JSON form), gpo, gpo_id}]. Re-applied to the registry
    # by a Group Policy refresh (control API gp-refresh); reported by `read` on a domain member.
    gpo_values: list[dict] = field(default_factory=list)
    # The host's files (Local Group Policy folder and files), with their own faults.
    files: FileStore = field(default_factory=FileStore)
    # False when the RSoP WMI namespace cannot be queried at all (missing, access denied).
    # Logging itself is on by default; RSoPLogging = 0 in the registry empties the answer.
    rsop_available: bool = True

    def __post_init__(self) -> None:
        # Read self.faults at call time: the control API may replace the faults object.
        self.registry.is_denied = lambda path: self.faults.denies(path)

    def find_rule(self, name: str) -> FirewallRule | None:
        folded = name.casefold()
        return next((r for r in self.firewall_rules if r.name.casefold() == folded), None)

    def to_json(self) -> dict:
        return {
            "hostname": self.hostname,
            "profile": self.profile,
            "facts": dict(self.facts),
            "accounts": self.accounts.to_json(),
            "registry": self.registry.dump(),
            "firewall_rules": [rule.to_json() for rule in self.firewall_rules],
            "faults": self.faults.to_json(),
            "registry_writes": self.registry.writes,
            "external_writes": self.external_writes,
            "firewall_writes": self.firewall_writes,
            "gpo_values": [dict(v) for v in self.gpo_values],
            "files": self.files.to_json(),
            "rsop_available": self.rsop_available,
        }

    @classmethod
    def from_json(cls, data: dict) -> HostState:
        registry = Registry.from_dump(data.get("registry") or {})
        registry.writes = int(data.get("registry_writes", 0))
        return cls(
            hostname=data["hostname"],
            profile=data.get("profile", ""),
            facts=dict(data.get("facts") or {}),
            accounts=AccountDirectory(data.get("accounts") or {}),
            registry=registry,
            firewall_rules=[FirewallRule.from_json(r) for r in data.get("firewall_rules") or []],
            faults=RegistryFaults.from_json(data.get("faults")),
            external_writes=int(data.get("external_writes", 0)),
            firewall_writes=int(data.get("firewall_writes", 0)),
            gpo_values=[_gpo_value(v) for v in data.get("gpo_values") or []],
            files=FileStore.from_json(data.get("files")),
            rsop_available=bool(data.get("rsop_available", True)),
        )


_GPO_VALUE_FIELDS = ("path", "name", "type", "data", "gpo", "gpo_id")


def _gpo_value(value: dict) -> dict:
    """One Group Policy value, checked now rather than at the next refresh."""
    missing = [f for f in _GPO_VALUE_FIELDS if f not in value]
    if missing:
        raise ValueError(f"gpo_values: {', '.join(missing)} missing in {value!r}")
    data_from_json(value["type"], value["data"])
    return {f: value[f] for f in _GPO_VALUE_FIELDS} | {"path": normalise_path(value["path"])}
