# -*- coding: utf-8 -*-
"""Backend `policy`: wants for the firewall policy lists, planned against read results."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    decode_value,
    typed_changes,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_options import (
    validate,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_policy import (
    list_key,
    list_parent,
    policy_wants,
    read_keys,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    KeySnapshot,
    RegValue,
    path_key,
)

ROOT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
DOMAIN_PORTS = ROOT + "\\DomainProfile\\GloballyOpenPorts\\List"
STANDARD_PORTS = ROOT + "\\StandardProfile\\GloballyOpenPorts\\List"
DOMAIN_PROGRAMS = ROOT + "\\DomainProfile\\AuthorizedApplications\\List"
OFFER_PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
MSRA = "%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance"
RASERVER = "%SystemRoot%\\System32\\raserver.exe:*:Enabled:Offer Remote Assistance"


def options(**params):
    base = {"backend": "policy", "preset": "modern", "state": "present", "exclusive": False}
    return validate({**base, **params})


def state(keys: dict) -> CurrentState:
    """keys: path -> {name: (type, data)}."""
    snapshots = {}
    for path, values in keys.items():
        regs = tuple(RegValue(name, t, d) for name, (t, d) in values.items())
        snapshots[path_key(path)] = KeySnapshot(path, True, regs)
    return CurrentState(keys=snapshots)


def apply(current: CurrentState, changes: list) -> CurrentState:
    """What a successful engine `apply` does to the registry, on a CurrentState."""
    keys = dict(current.keys)
    for change in changes:
        found = keys.get(path_key(change["path"]))
        snapshot = found or KeySnapshot(change["path"], True, ())
        values = [v for v in snapshot.values if v.name.casefold() != change["name"].casefold()]
        if change["op"] == "set_value":
            values.append(RegValue(change["name"], *decode_value(change["kind"], change["data"])))
        keys[path_key(change["path"])] = KeySnapshot(snapshot.path, True, tuple(values))
    return CurrentState(keys=keys)


def plan_for(opts, current):
    wanted = policy_wants(opts, current)
    return make_plan(wanted.wants, current), wanted.warnings


def converge(opts, current):
    """Plan, apply, plan again: the second plan must be empty (idempotence)."""
    plan, _unused = plan_for(opts, current)
    after = apply(current, plan.changes)
    second, _unused = plan_for(opts, after)
    assert typed_changes(second.changes) == [] and second.drift == []
    return plan, after


def list_data(current: CurrentState, path: str) -> dict:
    return {v.name: v.data for v in current.key(path).values}


def compliant_host() -> CurrentState:
    keys = {}
    for profile in ("DomainProfile", "StandardProfile"):
        keys[f"{ROOT}\\{profile}\\GloballyOpenPorts"] = {"Enabled": ("REG_DWORD", 1)}
        keys[f"{ROOT}\\{profile}\\GloballyOpenPorts\\List"] = {OFFER_PORT: ("REG_SZ", OFFER_PORT)}
        keys[f"{ROOT}\\{profile}\\AuthorizedApplications"] = {"Enabled": ("REG_DWORD", 1)}
        keys[f"{ROOT}\\{profile}\\AuthorizedApplications\\List"] = {
            MSRA: ("REG_SZ", MSRA),
            RASERVER: ("REG_SZ", RASERVER),
        }
    return state(keys)


def test_read_keys_are_the_eight_policy_keys():
    keys = read_keys(("domain", "standard"))
    assert len(keys) == 8 and len(set(keys)) == 8
    assert DOMAIN_PORTS in keys and ROOT + "\\StandardProfile\\AuthorizedApplications" in keys
    assert read_keys(("domain",)) == [
        ROOT + "\\DomainProfile\\GloballyOpenPorts",
        DOMAIN_PORTS,
        ROOT + "\\DomainProfile\\AuthorizedApplications",
        DOMAIN_PROGRAMS,
    ]
    assert list_parent("standard", "program") == ROOT + "\\StandardProfile\\AuthorizedApplications"
    assert list_key("domain", "port") == DOMAIN_PORTS


def test_fresh_host_gets_flags_and_entries_in_both_profiles():
    plan, after = converge(options(), CurrentState())
    # 2 profiles x (2 flags + 1 port + 2 programs)
    assert len(plan.changes) == 10
    assert all(c["op"] == "set_value" and c["expect"] == {"present": False} for c in plan.changes)
    assert list_data(after, STANDARD_PORTS) == {OFFER_PORT: OFFER_PORT}
    assert list_data(after, DOMAIN_PROGRAMS) == {MSRA: MSRA, RASERVER: RASERVER}
    flag = after.value(ROOT + "\\DomainProfile\\GloballyOpenPorts", "Enabled")
    assert flag == RegValue("Enabled", "REG_DWORD", 1)
    settings = {d["setting"] for d in plan.drift}
    assert settings == {"firewall_list_enabled", "firewall_ports", "firewall_programs"}


def test_compliant_host_has_no_changes_and_diff_lines_for_every_managed_value():
    plan, warnings = plan_for(options(), compliant_host())
    assert typed_changes(plan.changes) == [] and plan.drift == [] and warnings == []
    assert len(plan.before) == 10 and plan.before == plan.after


def test_disabled_duplicate_named_port_protocol_is_removed():
    current = state({DOMAIN_PORTS: {"135:TCP": ("REG_SZ", "135:TCP:*:Disabled:Offer RA")}})
    plan, after = converge(options(profiles=["domain"], programs=[]), current)
    ops = [(c["op"], c["name"]) for c in plan.changes if c["path"] == DOMAIN_PORTS]
    assert ("delete_value", "135:TCP") in ops
    assert ("set_value", OFFER_PORT) in ops
    removal = next(c for c in typed_changes(plan.changes) if c["op"] == "delete_value")
    assert removal["expect"] == {
        "present": True,
        "type": "REG_SZ",
        "data": "135:TCP:*:Disabled:Offer RA",
    }
    assert list_data(after, DOMAIN_PORTS) == {OFFER_PORT: OFFER_PORT}
    drift = next(d for d in plan.drift if d["name"] == "135:TCP")
    assert drift["setting"] == "firewall_ports" and drift["expected"] is None


def test_our_data_under_another_name_is_compliant():
    current = state(
        {
            ROOT + "\\DomainProfile\\GloballyOpenPorts": {"Enabled": ("REG_DWORD", 1)},
            DOMAIN_PORTS: {"135:TCP": ("REG_SZ", OFFER_PORT)},
        }
    )
    plan, _unused = plan_for(options(profiles=["domain"], programs=[]), current)
    assert typed_changes(plan.changes) == []
    assert any("135:TCP = REG_SZ:" + OFFER_PORT in line for line in plan.after)


def test_same_port_with_other_scope_is_replaced():
    other = "135:TCP:LocalSubNet:Enabled:Offer Remote Assistance"
    current = state({DOMAIN_PORTS: {other: ("REG_SZ", other)}})
    plan, after = converge(options(profiles=["domain"], programs=[]), current)
    assert {"op": "delete_value", "name": other}.items() <= next(
        c for c in plan.changes if c["op"] == "delete_value"
    ).items()
    assert list_data(after, DOMAIN_PORTS) == {OFFER_PORT: OFFER_PORT}


def test_value_named_like_our_entry_but_holding_other_data_is_overwritten_not_deleted():
    current = state({DOMAIN_PORTS: {OFFER_PORT: ("REG_SZ", "135:TCP:*:Disabled:Offer")}})
    plan, after = converge(options(profiles=["domain"], programs=[]), current)
    ops = [c["op"] for c in plan.changes if c["path"] == DOMAIN_PORTS]
    assert ops == ["set_value"]
    assert list_data(after, DOMAIN_PORTS) == {OFFER_PORT: OFFER_PORT}


def test_other_programs_and_ports_of_others_stay():
    foreign_port = "3389:TCP:*:Enabled:Remote Desktop"
    foreign_program = "C:\\Tools\\agent.exe:*:Enabled:Agent"
    current = state(
        {
            DOMAIN_PORTS: {foreign_port: ("REG_SZ", foreign_port)},
            DOMAIN_PROGRAMS: {foreign_program: ("REG_SZ", foreign_program)},
        }
    )
    plan, after = converge(options(profiles=["domain"]), current)
    assert all(c["op"] == "set_value" for c in plan.changes)
    assert foreign_port in list_data(after, DOMAIN_PORTS)
    assert foreign_program in list_data(after, DOMAIN_PROGRAMS)


def test_program_identity_is_case_insensitive_path():
    other = "%systemroot%\\system32\\MSRA.exe:*:Disabled:Remote Assistance"
    current = state({DOMAIN_PROGRAMS: {"msra": ("REG_SZ", other)}})
    plan, after = converge(options(profiles=["domain"], ports=[]), current)
    assert any(c["op"] == "delete_value" and c["name"] == "msra" for c in plan.changes)
    assert list_data(after, DOMAIN_PROGRAMS) == {MSRA: MSRA, RASERVER: RASERVER}


def test_malformed_foreign_entry_is_kept_with_a_warning():
    current = state({DOMAIN_PORTS: {"junk": ("REG_SZ", "135:TCP:*:Maybe:x")}})
    wanted = policy_wants(options(profiles=["domain"], programs=[]), current)
    assert not any(isinstance(w, WantAbsent) for w in wanted.wants)
    assert len(wanted.warnings) == 1
    assert "junk" in wanted.warnings[0] and "135:TCP:*:Maybe:x" in wanted.warnings[0]
    assert "left in place" in wanted.warnings[0]
    _unused, after = converge(options(profiles=["domain"], programs=[]), current)
    assert "junk" in list_data(after, DOMAIN_PORTS)


def test_non_string_value_in_a_list_is_malformed():
    current = state({DOMAIN_PORTS: {"odd": ("REG_DWORD", 135)}})
    wanted = policy_wants(options(profiles=["domain"], programs=[]), current)
    assert len(wanted.warnings) == 1 and "REG_DWORD" in wanted.warnings[0]


def test_exclusive_removes_foreign_and_malformed_entries():
    foreign = "3389:TCP:*:Enabled:Remote Desktop"
    current = state(
        {
            DOMAIN_PORTS: {
                foreign: ("REG_SZ", foreign),
                "junk": ("REG_SZ", "not an entry"),
                "135:TCP": ("REG_SZ", OFFER_PORT),
            },
            DOMAIN_PROGRAMS: {"agent": ("REG_SZ", "C:\\agent.exe:*:Enabled:Agent")},
        }
    )
    opts = options(profiles=["domain"], exclusive=True)
    wanted = policy_wants(opts, current)
    assert wanted.warnings == []
    plan, after = converge(opts, current)
    deleted = {c["name"] for c in plan.changes if c["op"] == "delete_value"}
    assert deleted == {foreign, "junk", "agent"}
    assert list_data(after, DOMAIN_PORTS) == {"135:TCP": OFFER_PORT}
    assert list_data(after, DOMAIN_PROGRAMS) == {MSRA: MSRA, RASERVER: RASERVER}


def test_exclusive_only_touches_the_profiles_we_manage():
    foreign = "3389:TCP:*:Enabled:Remote Desktop"
    current = state({STANDARD_PORTS: {foreign: ("REG_SZ", foreign)}})
    plan, _unused = plan_for(options(profiles=["domain"], exclusive=True), current)
    assert all(c["path"].startswith(ROOT + "\\DomainProfile") for c in plan.changes)


def test_exclusive_with_no_entries_empties_the_list_but_leaves_the_flag():
    foreign = "3389:TCP:*:Enabled:Remote Desktop"
    current = state(
        {
            ROOT + "\\DomainProfile\\GloballyOpenPorts": {"Enabled": ("REG_DWORD", 1)},
            DOMAIN_PORTS: {foreign: ("REG_SZ", foreign)},
        }
    )
    opts = options(profiles=["domain"], ports=[], programs=[], exclusive=True)
    plan, _unused = converge(opts, current)
    assert [(c["op"], c["name"]) for c in plan.changes] == [("delete_value", foreign)]


def test_absent_removes_exactly_our_entries():
    foreign = "3389:TCP:*:Enabled:Remote Desktop"
    disabled_ours = "135:TCP:*:Disabled:Offer Remote Assistance"
    host = compliant_host()
    extra = state(
        {
            DOMAIN_PORTS: {
                OFFER_PORT: ("REG_SZ", OFFER_PORT),
                "135:TCP": ("REG_SZ", OFFER_PORT),
                foreign: ("REG_SZ", foreign),
                "other135": ("REG_SZ", disabled_ours),
            }
        }
    )
    current = CurrentState(keys={**host.keys, **extra.keys})
    plan, after = converge(options(state="absent"), current)
    deleted = sorted((c["path"], c["name"]) for c in plan.changes)
    assert all(c["op"] == "delete_value" for c in plan.changes)
    assert (DOMAIN_PORTS, "135:TCP") in deleted and (DOMAIN_PORTS, OFFER_PORT) in deleted
    assert len(deleted) == 2 + 1 + 2 * 2  # domain ports, standard port, programs x 2
    assert list_data(after, DOMAIN_PORTS) == {foreign: foreign, "other135": disabled_ours}
    flag = after.value(ROOT + "\\DomainProfile\\GloballyOpenPorts", "Enabled")
    assert flag == RegValue("Enabled", "REG_DWORD", 1)


def test_absent_on_a_clean_host_changes_nothing():
    plan, _unused = plan_for(options(state="absent", exclusive=True), CurrentState())
    assert typed_changes(plan.changes) == []


def test_legacy_preset_writes_the_en_dash_entry_byte_exact():
    plan, after = converge(options(preset="legacy", profiles=["domain"]), CurrentState())
    helpctr = next(v for v in list_data(after, DOMAIN_PROGRAMS).values() if "Helpctr" in v)
    assert helpctr.encode("utf-8").endswith(
        b"Remote Assistance \xe2\x80\x93 Windows Messenger and Voice"
    )
    change = next(c for c in plan.changes if "Helpctr" in c["name"])
    assert change["name"] == change["data"] == helpctr


def test_a_value_named_after_one_entry_holding_another_does_not_contradict():
    # Pathological: value named after our port entry holds our *other* port entry.
    second = "3389:TCP:*:Enabled:RD"
    current = state({DOMAIN_PORTS: {OFFER_PORT: ("REG_SZ", second)}})
    opts = options(profiles=["domain"], programs=[], ports=[OFFER_PORT, second])
    _unused, after = converge(opts, current)
    assert list_data(after, DOMAIN_PORTS) == {OFFER_PORT: OFFER_PORT, second: second}


@pytest.mark.parametrize("profiles", [["domain"], ["standard"], ["domain", "standard"]])
def test_only_requested_profiles_are_touched(profiles):
    plan, _unused = plan_for(options(profiles=profiles), CurrentState())
    touched = {c["path"].split("\\")[5] for c in typed_changes(plan.changes)}
    assert touched == {p.capitalize() + "Profile" for p in profiles}
