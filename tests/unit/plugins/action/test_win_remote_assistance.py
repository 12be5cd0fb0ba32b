"""win_remote_assistance: both parts in one read and one apply, results as the two modules
give them, every input problem named at once before any engine run (engine faked)."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.action import (
    win_offer_ra,
    win_ra_firewall,
)
from ansible_collections.winra.remote_assistance.plugins.action.win_remote_assistance import (
    ActionModule,
)
from ansible_collections.winra.remote_assistance.plugins.modules import win_remote_assistance
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._composite import (
    ARGUMENT_SPEC,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
FW = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile"
PORTS_FLAG = FW + "\\GloballyOpenPorts"
PORTS = PORTS_FLAG + "\\List"
PROGRAMS_FLAG = FW + "\\AuthorizedApplications"
PROGRAMS = PROGRAMS_FLAG + "\\List"
PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
MSRA = "%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance"
RASERVER = "%SystemRoot%\\System32\\raserver.exe:*:Enabled:Offer Remote Assistance"
DESK = "CONTOSO\\Helpdesk"
DCOM_RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"

OFFER = {"helpers": [DESK]}
FIREWALL = {"profiles": ["domain"]}
OFFER_COMPLIANT = {
    TS: [("fAllowUnsolicited", "REG_DWORD", 1), ("fAllowUnsolicitedFullControl", "REG_DWORD", 0)],
    RAU: [(DESK, "REG_SZ", DESK)],
    OLE: [("EnableDCOM", "REG_SZ", "Y")],
}
FIREWALL_COMPLIANT = {
    PORTS_FLAG: [("Enabled", "REG_DWORD", 1)],
    PORTS: [(PORT, "REG_SZ", PORT)],
    PROGRAMS_FLAG: [("Enabled", "REG_DWORD", 1)],
    PROGRAMS: [(MSRA, "REG_SZ", MSRA), (RASERVER, "REG_SZ", RASERVER)],
}
OFFER_DRIFTED = {TS: [("fAllowUnsolicited", "REG_DWORD", 0)], RAU: [], OLE: []}
FIREWALL_DRIFTED = {PORTS_FLAG: None, PORTS: None, PROGRAMS_FLAG: None, PROGRAMS: None}
ROLE_NAMES = {
    "offer.helpers": "offer_remote_assistance_helpers",
    "offer.solicited": "offer_remote_assistance_solicited",
    "firewall.ports": "offer_remote_assistance_firewall_ports",
    "firewall.programs": "offer_remote_assistance_firewall_programs",
    "firewall.profiles": "offer_remote_assistance_firewall_profiles",
    "firewall.rules": "offer_remote_assistance_firewall_rules",
}


def _without(result: dict, *keys) -> dict:
    return {key: value for key, value in result.items() if key not in keys}


def _standalone(run_action, fake_engine, read, action, args, **mode):
    return run_action(action, args, fake_engine(read), **mode)


@pytest.mark.parametrize(
    "mode", [{}, {"check_mode": True}, {"diff": True}, {"check_mode": True, "diff": True}]
)
@pytest.mark.parametrize(
    "offer_keys", [OFFER_COMPLIANT, OFFER_DRIFTED], ids=["offer-ok", "offer-drift"]
)
@pytest.mark.parametrize(
    "fw_keys", [FIREWALL_COMPLIANT, FIREWALL_DRIFTED], ids=["fw-ok", "fw-drift"]
)
def test_each_part_is_what_its_module_gives_and_the_whole_is_one_read_and_one_apply(
    run_action, fake_engine, make_read, mode, offer_keys, fw_keys
):
    read = make_read(keys={**offer_keys, **fw_keys})
    engine = fake_engine(read)
    result = run_action(ActionModule, {"offer": OFFER, "firewall": FIREWALL}, engine, **mode)

    offer = _standalone(run_action, fake_engine, read, win_offer_ra.ActionModule, OFFER, **mode)
    firewall = _standalone(
        run_action, fake_engine, read, win_ra_firewall.ActionModule, FIREWALL, **mode
    )
    # engine_runs and snapshot belong to the task, not to a part.
    task_keys = ("engine_runs", "snapshot", "failed", "msg")
    assert result["offer"] == _without(offer, *task_keys)
    assert result["firewall"] == _without(firewall, *task_keys)
    assert result["changed"] is (offer["changed"] or firewall["changed"])
    assert result["drift"] == offer["drift"] + firewall["drift"]
    assert result["gpo_conflicts"] == offer["gpo_conflicts"] + firewall["gpo_conflicts"]

    read_args = engine.calls[0]["module_args"]
    # The parts' keys first, then those the decoding adds (facts, RSoP logging).
    assert read_args["keys"][:7] == [TS, RAU, OLE, PORTS_FLAG, PORTS, PROGRAMS_FLAG, PROGRAMS]
    if result["changed"] and not mode.get("check_mode"):
        assert engine.actions == ["read", "apply"] and result["engine_runs"] == 2
        # One compare-and-swap run holds every change of both parts.
        assert len(engine.calls[1]["module_args"]["changes"]) == len(result["drift"])
    else:
        assert engine.actions == ["read"] and result["engine_runs"] == 1
    if mode.get("diff"):
        assert result["diff"]["before"] == (
            offer["diff"]["before"] + firewall["diff"]["before"]
        ).replace("\n\n", "\n")
    else:
        assert "diff" not in result


def test_the_read_is_the_union_of_keys_accounts_and_rules(run_action, fake_engine, make_read):
    rule = {
        "name": DCOM_RULE,
        "exists": True,
        "enabled": True,
        "profiles": ["domain"],
        "group": "@FirewallAPI.dll,-33002",
    }
    engine = fake_engine(
        make_read(keys=OFFER_COMPLIANT, accounts={DESK: "S-1-5-21-1"}, firewall_rules=[rule])
    )
    args = {
        "offer": {
            "helpers": [DESK],
            "validate_helpers": True,
            "require_firewall_rules": [DCOM_RULE],
        },
        "firewall": {"backend": "rules", "rules": [DCOM_RULE.upper()]},
    }
    result = run_action(ActionModule, args, engine)
    assert "failed" not in result, result.get("msg")
    request = engine.calls[0]["module_args"]
    assert request["accounts"] == [DESK]
    # The same rule asked for by both parts (in two spellings) is read once; the offer part
    # also reads the rules Offer RA needs, to tell whether it can work.
    assert request["firewall_rules"] == [
        DCOM_RULE,
        "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
    ]
    assert request["keys"][:3] == [TS, RAU, OLE]
    assert engine.actions == ["read"]


def test_an_omitted_part_is_not_read_and_its_result_is_null(run_action, fake_engine, make_read):
    engine = fake_engine(make_read(keys=OFFER_COMPLIANT))
    result = run_action(ActionModule, {"offer": OFFER}, engine)
    assert result["firewall"] is None and result["offer"]["changed"] is False
    keys = engine.calls[0]["module_args"]["keys"]
    assert keys[:3] == [TS, RAU, OLE]
    # The firewall part's list keys are not read (the offer part reads its rules' profile
    # keys only to check that Offer RA can work).
    assert not [key for key in keys if "GloballyOpenPorts" in key or "AuthorizedApp" in key]


def test_a_host_that_cannot_take_one_part_gets_nothing_of_the_other(
    run_action, fake_engine, make_read
):
    # The firewall part cannot comply (rule missing); the offer part drifted: nothing applies.
    engine = fake_engine(make_read(keys=OFFER_DRIFTED, firewall_rules=[]))
    args = {"offer": OFFER, "firewall": {"backend": "rules"}}
    result = run_action(ActionModule, args, engine)
    assert result["failed"] is True and "does not exist" in result["msg"]
    assert engine.actions == ["read"]
    assert result["offer"]["helpers"] is None and result["offer"]["changed"] is False
    assert result["changed"] is False and result["drift"] == []


def test_a_refused_apply_changes_nothing_and_keeps_the_drift(run_action, fake_engine, make_read):
    refused = {"failed": True, "error": "write_failed", "msg": "disk", "rolled_back": True}
    engine = fake_engine(make_read(keys={**OFFER_DRIFTED, **FIREWALL_DRIFTED}), refused)
    result = run_action(ActionModule, {"offer": OFFER, "firewall": FIREWALL}, engine)
    assert result["failed"] is True and result["rolled_back"] is True
    assert result["changed"] is False
    assert result["offer"]["changed"] is False and result["firewall"]["changed"] is False
    assert result["drift"] and result["offer"]["drift"] and result["firewall"]["drift"]
    assert engine.actions == ["read", "apply"]


BAD = {
    "offer": {
        "helpers": ["CONTOSO\\ok", "bad-one", "contoso.com\\x"],
        "solicited": {"max_ticket_expiry": 500},
    },
    "firewall": {
        "ports": ["135:TCP:*:Enabled:ok", "70000:TCP:*:Enabled:x"],
        "programs": ["\\\\server\\share\\evil.exe:*:Enabled:x"],
        "profiles": ["domain", "nowhere"],
    },
}


def test_every_problem_of_both_parts_is_named_at_once_before_any_engine_run(
    run_action, fake_engine, make_read
):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, BAD, engine)
    message = result["msg"]
    assert result["failed"] is True and engine.calls == [] and result["engine_runs"] == 0
    for option, value in [
        ("offer.helpers", "bad-one"),
        ("offer.helpers", "contoso.com\\x"),
        ("firewall.ports[1]", "70000:TCP:*:Enabled:x"),
        ("firewall.programs[0]", "\\\\server\\share\\evil.exe:*:Enabled:x"),
    ]:
        assert f"'{option}': {value!r}" in message
    assert "CONTOSO\\\\ok" not in message and "'firewall.ports[0]'" not in message
    for key in ("changed", "drift", "gpo_conflicts", "engine_runs", "offer", "firewall"):
        assert key in result


def test_the_second_phase_problems_of_both_parts_are_named_at_once(
    run_action, fake_engine, make_read
):
    engine = fake_engine(make_read())
    args = {
        "offer": {"helpers": ["x"], "solicited": {"max_ticket_expiry": 500}},
        "firewall": {"profiles": ["nowhere"]},
    }
    message = run_action(ActionModule, args, engine)["msg"]
    assert "'offer.helpers'" in message
    assert "'firewall.profiles[0]': 'nowhere'" in message
    assert engine.calls == []


def test_option_names_show_the_callers_names(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    args = dict(BAD, option_names=ROLE_NAMES)
    message = run_action(ActionModule, args, engine)["msg"]
    assert "'offer_remote_assistance_helpers': 'bad-one'" in message
    assert "'offer_remote_assistance_firewall_ports[1]': '70000:TCP:*:Enabled:x'" in message
    assert "offer.helpers" not in message and "firewall.ports" not in message


def test_an_enabled_policy_without_helpers_is_refused_by_the_whole_standard(
    run_action, fake_engine, make_read
):
    engine = fake_engine(make_read())
    result = run_action(
        ActionModule, {"offer": {}, "firewall": FIREWALL, "option_names": ROLE_NAMES}, engine
    )
    assert result["failed"] is True and engine.calls == []
    assert "'offer_remote_assistance_helpers': []" in result["msg"]


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({}, "'offer'"),
        ({"offer": OFFER, "colour": "red"}, "'colour'"),
        ({"offer": OFFER, "option_names": ["x"]}, "'option_names'"),
        ({"offer": 42}, "'offer': 42"),
        ({"offer": {"helpers": [DESK], "solicited": 42}}, "'offer.solicited': 42"),
        ({"offer": {"helpers": [DESK], "solicited": {}}}, "'offer.solicited': {}"),
        ({"firewall": {"backend": "rules", "rules": [42]}}, "'firewall.rules[0]': 42"),
        ({"firewall": {"backend": "rules", "rules": [["a"]]}}, "'firewall.rules[0]': ['a']"),
    ],
)
def test_malformed_input_fails_cleanly_naming_option_and_value(
    run_action, fake_engine, make_read, args, fragment
):
    engine = fake_engine(make_read())
    result = run_action(ActionModule, args, engine)
    assert result["failed"] is True and fragment in result["msg"]
    assert engine.calls == [] and result["engine_runs"] == 0


def test_module_documentation_matches_the_argument_spec(documented_options):
    documented = documented_options(win_remote_assistance)

    def view(options):
        return {
            name: (
                entry.get("type"),
                entry.get("choices"),
                entry.get("elements"),
                entry.get("default"),
                view(entry.get("suboptions", entry.get("options")) or {}),
            )
            for name, entry in options.items()
        }

    assert view(documented) == view(ARGUMENT_SPEC)
