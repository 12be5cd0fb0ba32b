# -*- coding: utf-8 -*-
"""The win_ra_firewall action plugin, with the engine faked at _execute_module."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.action.win_ra_firewall import (
    ActionModule,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    typed_changes,
)

ROOT = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall"
DOMAIN_PORTS_FLAG = ROOT + "\\DomainProfile\\GloballyOpenPorts"
DOMAIN_PORTS = DOMAIN_PORTS_FLAG + "\\List"
DOMAIN_PROGRAMS_FLAG = ROOT + "\\DomainProfile\\AuthorizedApplications"
DOMAIN_PROGRAMS = DOMAIN_PROGRAMS_FLAG + "\\List"
OFFER_PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
MSRA = "%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance"
RASERVER = "%SystemRoot%\\System32\\raserver.exe:*:Enabled:Offer Remote Assistance"
DCOM = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
RASERVER_RULE = "RemoteAssistance-RAServer-In-TCP-NoScope-Active"
DOMAIN_ONLY = {"profiles": ["domain"]}


def compliant_keys(port_entries=((OFFER_PORT, OFFER_PORT),)):
    return {
        DOMAIN_PORTS_FLAG: [("Enabled", "REG_DWORD", 1)],
        DOMAIN_PORTS: [(name, "REG_SZ", data) for name, data in port_entries],
        DOMAIN_PROGRAMS_FLAG: [("Enabled", "REG_DWORD", 1)],
        DOMAIN_PROGRAMS: [(MSRA, "REG_SZ", MSRA), (RASERVER, "REG_SZ", RASERVER)],
    }


def rule(name, enabled):
    return {
        "name": name,
        "exists": True,
        "enabled": enabled,
        "profiles": ["domain"],
        "group": "@FirewallAPI.dll,-33002",
        "display_name": "Fjernhjelp",
        "display_group": "Fjernhjelp",
    }


def test_bad_port_fails_naming_option_and_value_without_calling_the_engine(
    run_action, fake_engine, make_read
):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, {"ports": ["65536:TCP:*:Enabled:x"]}, engine)
    assert result["failed"] is True
    assert "'ports[0]'" in result["msg"] and "65536:TCP:*:Enabled:x" in result["msg"]
    assert engine.calls == [] and result["engine_runs"] == 0


def test_bad_choice_fails_before_the_engine(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, {"backend": "netsh"}, engine)
    assert result["failed"] is True and "backend" in result["msg"] and "netsh" in result["msg"]
    assert engine.calls == []


def test_rules_option_with_policy_backend_fails(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, {"rules": [DCOM]}, engine)
    assert result["failed"] is True and "'rules'" in result["msg"]
    assert engine.calls == []


def test_compliant_policy_host_costs_one_read(run_action, fake_engine, make_read):
    engine = fake_engine(make_read(keys=compliant_keys()))
    result = run_action(ActionModule, DOMAIN_ONLY, engine)
    assert engine.actions == ["read"]
    read_args = engine.calls[0]["module_args"]
    assert read_args["keys"][:4] == [
        DOMAIN_PORTS_FLAG,
        DOMAIN_PORTS,
        DOMAIN_PROGRAMS_FLAG,
        DOMAIN_PROGRAMS,
    ]
    assert read_args["firewall_rules"] == []
    assert result["changed"] is False and result["drift"] == [] and result["engine_runs"] == 1
    assert "failed" not in result and "warnings" not in result


def test_default_profiles_read_the_eight_keys(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    run_action(ActionModule, {}, engine, check_mode=True)
    keys = [
        k
        for k in engine.calls[0]["module_args"]["keys"]
        if "GloballyOpenPorts" in k or "AuthorizedApplications" in k
    ]
    assert len(keys) == 8 and sum("StandardProfile" in k for k in keys) == 4


def test_drifted_host_reads_then_applies(run_action, fake_engine, make_read):
    disabled = "135:TCP:*:Disabled:Offer Remote Assistance"
    engine = fake_engine(make_read(keys=compliant_keys((("135:TCP", disabled),))))
    result = run_action(ActionModule, DOMAIN_ONLY, engine)
    assert engine.actions == ["read", "apply"]
    changes = typed_changes(engine.calls[1]["module_args"]["changes"])
    assert {(c["op"], c["name"]) for c in changes} == {
        ("set_value", OFFER_PORT),
        ("delete_value", "135:TCP"),
    }
    delete = next(c for c in changes if c["op"] == "delete_value")
    assert delete["expect"] == {"present": True, "type": "REG_SZ", "data": disabled}
    assert result["changed"] is True and result["engine_runs"] == 2
    assert {d["setting"] for d in result["drift"]} == {"firewall_ports"}


def test_check_mode_reports_drift_and_never_applies(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, DOMAIN_ONLY, engine, check_mode=True)
    assert engine.actions == ["read"]
    assert result["changed"] is True and result["engine_runs"] == 1
    assert len(result["drift"]) == 5  # 2 flags, 1 port, 2 programs
    assert all(d["actual"] is None for d in result["drift"])


def test_diff_shows_every_managed_value(run_action, fake_engine, make_read):
    engine = fake_engine(make_read(keys=compliant_keys((("135:TCP", OFFER_PORT),))))
    result = run_action(ActionModule, DOMAIN_ONLY, engine, diff=True)
    assert result["changed"] is False
    assert f"{DOMAIN_PORTS}\\135:TCP = REG_SZ:{OFFER_PORT}" in result["diff"]["after"]
    assert result["diff"]["before"] == result["diff"]["after"]
    assert result["diff"]["after"].count("\n") == 5


def test_malformed_foreign_entry_gives_a_warning(run_action, fake_engine, make_read):
    keys = compliant_keys(((OFFER_PORT, OFFER_PORT), ("junk", "135;TCP")))
    engine = fake_engine(make_read(keys=keys))
    result = run_action(ActionModule, DOMAIN_ONLY, engine)
    assert result["changed"] is False and engine.actions == ["read"]
    assert len(result["warnings"]) == 1 and "junk" in result["warnings"][0]


def test_rules_backend_reads_rules_and_enables_them(run_action, fake_engine, make_read):
    read = make_read(firewall_rules=[rule(DCOM, False), rule(RASERVER_RULE, True)])
    engine = fake_engine(read)
    result = run_action(ActionModule, {"backend": "rules"}, engine)
    read_args = engine.calls[0]["module_args"]
    # No policy key is read for the rules backend; the keys are those the decoding needs
    # (facts, and whether Group Policy lets local rules apply).
    assert (
        "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile" in read_args["keys"]
    )
    assert {k: v for k, v in read_args.items() if k != "keys"} == {
        "action": "read",
        "accounts": [],
        "firewall_rules": [DCOM, RASERVER_RULE],
        "policy_sources": False,
    }
    assert engine.actions == ["read", "apply"]
    changes = typed_changes(engine.calls[1]["module_args"]["changes"])
    assert changes == [
        {
            "op": "set_rule",
            "name": DCOM,
            "enabled": True,
            "profiles": ["domain"],
            "expect": {"enabled": False, "profiles": ["domain"]},
        }
    ]
    assert result["drift"][0]["setting"] == "firewall_rules"


def test_rules_backend_missing_rule_fails_after_the_read(run_action, fake_engine, make_read):
    absent = {
        "name": RASERVER_RULE,
        "exists": False,
        "enabled": None,
        "profiles": [],
        "group": None,
        "display_name": None,
        "display_group": None,
    }
    engine = fake_engine(make_read(firewall_rules=[rule(DCOM, False), absent]))
    result = run_action(ActionModule, {"backend": "rules"}, engine)
    assert result["failed"] is True and RASERVER_RULE in result["msg"]
    assert engine.actions == ["read"] and result["changed"] is False


def test_documented_options_match_the_argument_spec(documented_options):
    from ansible_collections.winra.remote_assistance.plugins.modules import win_ra_firewall
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils._snapshot import (
        ARGUMENT_SPEC as SNAPSHOT_SPEC,
    )

    documented = documented_options(win_ra_firewall)
    spec_of_task = {**ActionModule.PART.argument_spec, **SNAPSHOT_SPEC}
    assert set(documented) == set(spec_of_task)
    for name, spec in spec_of_task.items():
        doc = documented[name]
        assert doc["type"] == spec["type"], name
        assert doc.get("choices") == spec.get("choices"), name
        assert doc.get("default") == spec.get("default"), name
        assert doc.get("elements") == spec.get("elements"), name


def test_documented_return_keys_are_in_every_result(run_action, fake_engine, make_read):
    import yaml

    from ansible_collections.winra.remote_assistance.plugins.modules import win_ra_firewall

    always = [
        key
        for key, doc in yaml.safe_load(win_ra_firewall.RETURN).items()
        if doc["returned"] == "always"
    ]
    assert always == ["snapshot", "local_policy", "drift", "gpo_conflicts", "engine_runs"]
    bad = run_action(ActionModule, {"ports": [0]}, fake_engine(make_read()))
    good = run_action(ActionModule, DOMAIN_ONLY, fake_engine(make_read()))
    for result in (bad, good):
        assert all(key in result for key in always)
