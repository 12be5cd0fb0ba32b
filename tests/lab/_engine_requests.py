"""Build contract-2 engine requests for the lab's engine tests from the collection's typed form.

The engine takes one option, `request` (base64 JSON), and values in its raw form (kind and
little-endian hex); tests read better in the typed form, so they build requests here.
"""

from __future__ import annotations

from winra_lab.windows.engine import encode_request, run_engine

KINDS = {
    "REG_SZ": "String",
    "REG_EXPAND_SZ": "ExpandString",
    "REG_MULTI_SZ": "MultiString",
    "REG_DWORD": "DWord",
    "REG_QWORD": "QWord",
    "REG_BINARY": "Binary",
}
WIDTH = {"REG_DWORD": 4, "REG_QWORD": 8}
ABSENT = {"present": False}


def raw(reg_type: str, data: object) -> tuple[str, object]:
    """Typed (type, data) -> (kind, data) as the engine reads and writes it."""
    kind = KINDS.get(reg_type, reg_type)
    width = WIDTH.get(reg_type)
    if (
        width
        and isinstance(data, int)
        and not isinstance(data, bool)
        and 0 <= data < 2 ** (8 * width)
    ):
        return kind, data.to_bytes(width, "little").hex()
    if reg_type == "REG_BINARY" and isinstance(data, str):
        return kind, data.lower()
    return kind, data


def present(reg_type: str, data: object) -> dict:
    kind, value = raw(reg_type, data)
    return {"present": True, "kind": kind, "data": value}


def set_value(path: str, name: str, reg_type: str, data: object, expect: dict) -> dict:
    kind, value = raw(reg_type, data)
    return {"op": "set_value", "path": path, "name": name, "kind": kind, "data": value,
            "expect": expect}  # fmt: skip


def delete_value(path: str, name: str, expect: dict) -> dict:
    return {"op": "delete_value", "path": path, "name": name, "expect": expect}


def profile(profiles) -> str:
    chosen = [p.capitalize() for p in ("domain", "private", "public") if p in profiles]
    return "Any" if len(chosen) == 3 else ", ".join(chosen)


def rule_state(enabled: bool, profiles=("domain",), group="@FirewallAPI.dll,-33002") -> dict:
    return {"present": True, "enabled": str(enabled), "profile": profile(profiles), "group": group}


def set_rule(name: str, enabled: bool, expect_enabled: bool = False, profiles=("domain",),
             group="@FirewallAPI.dll,-33002") -> dict:  # fmt: skip
    return {"op": "set_rule", "name": name, "enabled": enabled, "profile": profile(profiles),
            "expect": rule_state(expect_enabled, profiles, group)}  # fmt: skip


def read_request(keys=(), accounts=(), firewall_rules=(), policy_sources=False) -> dict:
    return {"action": "read", "keys": list(keys), "accounts": list(accounts),
            "firewall_rules": list(firewall_rules), "policy_sources": policy_sources}  # fmt: skip


def engine(state, document: object, check_mode: bool = False) -> dict:
    """One engine run with `document` as the request."""
    return run_engine(state, encode_request(document), check_mode)
