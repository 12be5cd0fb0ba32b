# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What crosses the wire to the host engine and back (docs/engine-contract.md, version 2).

Internal use only. The engine reports the host raw: values as .NET's RegistryKey returns
them (numbers as little-endian hex bytes, in the order Windows enumerates them), rules as
Get-NetFirewallRule prints them, Resultant Set of Policy rows as WMI holds them. Everything
that turns those into decisions happens here, on the controller, where it is tested:
decoding and sorting values, facts from the registry, which GPO sets a value, whether a rule
is ours to change. The request travels as one base64 JSON document so that no module wrapper
reinterprets a string (PowerShell 7 turns ISO-8601 text into dates).
"""

from __future__ import annotations

import base64
import json
import re

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
    normalise_path,
    path_key,
)

CONTRACT_VERSION = 2
CURRENT_VERSION_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
PRODUCT_OPTIONS_KEY = "HKLM:\\SYSTEM\\CurrentControlSet\\Control\\ProductOptions"
# RSoPLogging = 0 here turns Resultant Set of Policy logging off: RSoP then answers nothing.
RSOP_LOGGING_KEY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows\\System"
# "Apply local firewall rules: No" is AllowLocalPolicyMerge = 0 under the profile's policy key.
FIREWALL_POLICY_KEYS = {
    "domain": "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile",
    "private": "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PrivateProfile",
    "public": "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\PublicProfile",
}
PROFILE_ORDER = ("domain", "private", "public")
REMOTE_ASSISTANCE_GROUP = "@FirewallAPI.dll,-33002"
LOCAL_GPO_ID = "LocalGPO"

_TYPE_OF_KIND = {
    "String": "REG_SZ",
    "ExpandString": "REG_EXPAND_SZ",
    "MultiString": "REG_MULTI_SZ",
    "DWord": "REG_DWORD",
    "QWord": "REG_QWORD",
    "Binary": "REG_BINARY",
}
_KIND_OF_TYPE = {reg_type: kind for kind, reg_type in _TYPE_OF_KIND.items()}
_WIDTH = {"REG_DWORD": 4, "REG_QWORD": 8}
_RSOP_TYPES = {1: "REG_SZ", 2: "REG_EXPAND_SZ", 3: "REG_BINARY", 4: "REG_DWORD",
               7: "REG_MULTI_SZ", 11: "REG_QWORD"}  # fmt: skip
_PRODUCT_TYPES = {"winnt": "workstation", "servernt": "server", "lanmannt": "domain_controller"}
# A value whose bytes do not fit its kind (a REG_DWORD of 8 bytes): drift, never decoded.
MALFORMED = "REG_MALFORMED"
# A kind outside the collection's table (REG_NONE, REG_LINK, ...): never touched.
OTHER = "REG_OTHER"


# ----- requests -----------------------------------------------------------------------------


def module_args(document: dict) -> dict:
    """The engine's only module option: the request as base64 of its UTF-8 JSON."""
    text = json.dumps(document, ensure_ascii=False)
    return {"request": base64.b64encode(text.encode("utf-8")).decode("ascii")}


def file_key(path: str) -> str:
    """How a file path in a read's `files` / `exists` answer is matched to the path asked
    for, everywhere: the engine echoes each path as asked, but `%SystemRoot%` / `%windir%`
    and the expanded folder, and `/` and `\\`, name the same file; names ignore case."""
    expanded = re.sub(r"%(systemroot|windir)%", lambda _m: "C:\\Windows", path, flags=re.IGNORECASE)
    return name_key(expanded.replace("/", "\\"))


def answer_for(items, path: str) -> dict | None:
    """The entry of a read's `files` or `exists` answer for `path`, or None. The engine echoes
    each path as asked (file_key matches it); an answer that names the file expanded under
    another Windows folder (D:\\WINNT\\...) still matches on the part below %SystemRoot%."""
    answers = {file_key(str(i.get("path", ""))): i for i in items or [] if isinstance(i, dict)}
    if file_key(path) in answers:
        return answers[file_key(path)]
    below = path.split("%", 2)[-1] if path.startswith("%") else None
    if below:
        tail = name_key(below.replace("/", "\\"))
        return next((item for key, item in answers.items() if key.endswith(tail)), None)
    return None


def read_document(
    keys=(), accounts=(), firewall_rules=(), policy_sources: bool = False, files=(), exists=()
) -> dict:
    """The `read` request: the keys asked for plus those the decoding below needs."""
    wanted = [normalise_path(path) for path in keys]
    extra = [CURRENT_VERSION_KEY, PRODUCT_OPTIONS_KEY]
    if policy_sources:
        extra.append(RSOP_LOGGING_KEY)
    if firewall_rules:
        extra += FIREWALL_POLICY_KEYS.values()
    seen = {path_key(path) for path in wanted}
    for path in extra:
        if path_key(path) not in seen:
            seen.add(path_key(path))
            wanted.append(path)
    document = {
        "action": "read",
        "keys": wanted,
        "accounts": list(accounts),
        "firewall_rules": list(firewall_rules),
        "policy_sources": bool(policy_sources),
    }
    # The contract's optional fields: a host asked for no file reads none, and the request
    # stays as an engine without them takes it.
    if files:
        document["files"] = list(files)
    if exists:
        document["exists"] = list(exists)
    return document


def encode_data(reg_type: str, data: object) -> tuple[str, object]:
    """A typed value (the collection's form) -> (kind, data) as the engine writes it."""
    if reg_type == MALFORMED:
        return data["kind"], data["data"]  # type: ignore[index]
    kind = _KIND_OF_TYPE[reg_type]
    if reg_type in _WIDTH:
        return kind, int(data).to_bytes(_WIDTH[reg_type], "little").hex()  # type: ignore[call-overload]
    if reg_type == "REG_BINARY":
        return kind, str(data).lower()
    if reg_type == "REG_MULTI_SZ":
        return kind, list(data)  # type: ignore[call-overload]
    return kind, data


def encode_profiles(profiles) -> str:
    """Profiles -> the NetSecurity Profile text Set-NetFirewallRule takes ('Any' for all)."""
    chosen = [p for p in PROFILE_ORDER if p in profiles]
    if len(chosen) == len(PROFILE_ORDER):
        return "Any"
    return ", ".join(p.capitalize() for p in chosen)


# ----- decoding a read ----------------------------------------------------------------------


def decode_value(kind: str, data: object) -> tuple[str, object]:
    """(kind, data) as the engine reports it -> (type, data) in the collection's form."""
    reg_type = _TYPE_OF_KIND.get(kind)
    if reg_type is None:
        return OTHER, None
    if reg_type in _WIDTH:
        raw = bytes.fromhex(str(data))
        if len(raw) != _WIDTH[reg_type]:
            return MALFORMED, {"kind": kind, "data": data}
        return reg_type, int.from_bytes(raw, "little")
    if reg_type == "REG_MULTI_SZ":
        return reg_type, list(data)  # type: ignore[call-overload]
    return reg_type, data


def ordinal_ignore_case(name: str) -> bytes:
    """.NET StringComparer.OrdinalIgnoreCase as a sort key: the registry's name rule, compared
    as UTF-16 code units (the order .NET sorts in)."""
    return name_key(name).encode("utf-16-be")


def decode_key(key: dict) -> dict:
    """A key with typed values sorted by name; each keeps `raw`, the engine's own form."""
    values = []
    for value in key.get("values") or []:
        reg_type, data = decode_value(value["kind"], value["data"])
        raw = {"present": True, "kind": value["kind"], "data": value["data"]}
        values.append({"name": value["name"], "type": reg_type, "data": data, "raw": raw})
    values.sort(key=lambda v: ordinal_ignore_case(v["name"]))
    return {"path": key["path"], "exists": bool(key.get("exists")), "values": values}


def _value(keys: dict, path: str, name: str) -> dict | None:
    key = keys.get(path_key(path))
    for value in (key or {}).get("values", []):
        if value["name"].casefold() == name.casefold():
            return value
    return None


def facts(keys: dict) -> dict:
    """Host facts from the registry (no WMI query): edition, product type, build."""
    edition = _value(keys, CURRENT_VERSION_KEY, "EditionID")
    product = _value(keys, PRODUCT_OPTIONS_KEY, "ProductType")
    build = _value(keys, CURRENT_VERSION_KEY, "CurrentBuild")
    return {
        "edition": edition["data"] if edition and edition["type"] == "REG_SZ" else None,
        "product_type": _PRODUCT_TYPES.get(str(product["data"]).casefold()) if product else None,
        "os_build": int(build["data"]) if build and str(build["data"]).isdigit() else None,
    }


def parse_profile(text: str) -> list[str]:
    """'Domain, Private' / 'Any' as Get-NetFirewallRule prints Profile -> sorted names."""
    if text.strip() in ("", "Any"):
        return list(PROFILE_ORDER)
    given = {part.strip().casefold() for part in text.split(",")}
    return [p for p in PROFILE_ORDER if p in given]


def local_rules_allowed(keys: dict, profile: str) -> bool:
    """False when Group Policy sets 'Apply local firewall rules' to No for the profile."""
    merge = _value(keys, FIREWALL_POLICY_KEYS[profile], "AllowLocalPolicyMerge")
    return not (merge and merge["type"] == "REG_DWORD" and merge["data"] == 0)


def decode_rule(name: str, rows: list[dict], keys: dict) -> dict:
    """One requested rule Name from the ActiveStore rows.

    A rule a GPO delivers wins over a local rule of the same Name; a local rule is the one
    this collection can change (`raw` is its compare-and-swap expect).
    """
    mine = [row for row in rows if row["name"].casefold() == name.casefold()]
    local = next((row for row in mine if row.get("source_type") == "Local"), None)
    policy = next((row for row in mine if row.get("source_type") == "GroupPolicy"), None)
    shown = policy or local or (mine[0] if mine else None)
    if shown is None:
        return {"name": name, "exists": False, "enabled": None, "profiles": [], "group": None,
                "display_name": None, "display_group": None, "source": None, "raw": None}  # fmt: skip
    profiles = parse_profile(shown["profile"])
    return {
        "name": name,
        "exists": True,
        "enabled": shown["enabled"] == "True",
        "profiles": profiles,
        "group": shown["group"] or None,
        "display_name": shown["display_name"],
        "display_group": shown["display_group"],
        "source": "gpo" if policy else "local",
        "gpo": policy["source"] if policy else None,
        "local_rules_ignored": [p for p in profiles if not local_rules_allowed(keys, p)],
        "raw": _rule_expect(local),
    }


def _rule_expect(local: dict | None) -> dict | None:
    """The compare-and-swap expect of the local rule, in the engine's own form."""
    if local is None:
        return None
    return {"present": True, "enabled": local["enabled"], "profile": local["profile"],
            "group": local["group"]}  # fmt: skip


def decode_policy_bytes(reg_type: str, hex_bytes: str) -> object:
    """RSoP keeps a value as the registry's bytes; None when they do not fit the type."""
    raw = bytes.fromhex(hex_bytes)
    if reg_type in ("REG_SZ", "REG_EXPAND_SZ"):
        text = raw.decode("utf-16-le", errors="strict")
        return text[:-1] if text.endswith("\0") else text
    if reg_type == "REG_MULTI_SZ":
        text = raw.decode("utf-16-le", errors="strict").rstrip("\0")
        return text.split("\0") if text else []
    if reg_type in _WIDTH:
        return int.from_bytes(raw, "little") if len(raw) == _WIDTH[reg_type] else None
    return raw.hex()


def decode_policy_sources(result: dict, requested: list[str], keys: dict) -> dict:
    """Which requested values a GPO sets, by the winning GPO; `status` says how sure we are.

    status: `ok`; `logging_off` (RSoPLogging = 0: RSoP is silently empty, so unknown);
    `unavailable` (no RSoP namespace); `not_requested`.
    """
    sources = result.get("policy_sources") or {}
    logging = _value(keys, RSOP_LOGGING_KEY, "RSoPLogging")
    if not sources.get("available"):
        status = "not_requested" if sources.get("reason") == "not requested" else "unavailable"
        return {"available": False, "status": status, "values": []}
    if logging and logging["type"] == "REG_DWORD" and logging["data"] == 0:
        return {"available": False, "status": "logging_off", "values": []}
    values, seen = [], set()
    for path in requested:
        if path_key(path) in seen:
            continue
        seen.add(path_key(path))
        found = {}
        for row in sources.get("settings") or []:
            reg_type = _RSOP_TYPES.get(int(row["value_type"]))
            deletes = row["deleted"] or row["name"].startswith("**")
            if deletes or reg_type is None or path_key("HKLM:\\" + row["key"]) != path_key(path):
                continue
            try:
                data = decode_policy_bytes(reg_type, row["value"])
            except UnicodeDecodeError:
                data = None
            if data is None:
                continue
            local = row["gpo_id"] == LOCAL_GPO_ID
            found[row["name"].casefold()] = {
                "path": normalise_path(path), "name": row["name"], "type": reg_type,
                "data": data, "gpo": row.get("gpo") or row["gpo_id"], "gpo_id": row["gpo_id"],
                "source": "local" if local else "domain",
            }  # fmt: skip
        values += sorted(found.values(), key=lambda v: ordinal_ignore_case(v["name"]))
    return {"available": True, "status": "ok", "values": values}


def decode_read(result: dict, document: dict) -> dict:
    """The engine's raw `read` answer -> what the planning code reads (typed, sorted)."""
    decoded_keys = [decode_key(key) for key in result.get("keys") or []]
    by_path = {path_key(key["path"]): key for key in decoded_keys}
    return {
        **{
            k: v for k, v in result.items() if k not in ("keys", "firewall_rules", "policy_sources")
        },
        "keys": decoded_keys,
        "facts": facts(by_path),
        "accounts": list(result.get("accounts") or []),
        "firewall_rules": [
            decode_rule(name, result.get("firewall_rules") or [], by_path)
            for name in document.get("firewall_rules") or []
        ],
        "policy_sources": decode_policy_sources(result, document.get("keys") or [], by_path),
    }


def typed_change(change: dict) -> dict:
    """A change as the engine takes it -> the collection's typed form (for people and tests)."""
    typed = {k: v for k, v in change.items() if k not in ("kind", "data", "profile", "expect")}
    expect = change.get("expect") or {}
    if change["op"] == "set_rule":
        typed["profiles"] = parse_profile(change["profile"])
        typed["expect"] = {
            "enabled": expect.get("enabled") == "True",
            "profiles": parse_profile(expect.get("profile", "")),
        }
        return typed
    if change["op"] == "set_value":
        typed["type"], typed["data"] = decode_value(change["kind"], change["data"])
    if expect.get("present"):
        reg_type, data = decode_value(expect["kind"], expect["data"])
        typed["expect"] = {"present": True, "type": reg_type, "data": data}
    else:
        typed["expect"] = {"present": False}
    return typed


def typed_changes(changes: list) -> list:
    return [typed_change(change) for change in changes]
