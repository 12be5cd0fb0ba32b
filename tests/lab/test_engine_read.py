"""The lab engine's `read` action follows docs/engine-contract.md."""

import pytest

from winra_lab.windows.engine import run_engine
from winra_lab.windows.hoststate import HostState

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
READ_KEYS = {
    "changed",
    "contract_version",
    "keys",
    "facts",
    "accounts",
    "firewall_rules",
    "policy_sources",
}
FACTS = {"hostname": "WS001", "domain": "CONTOSO", "ui_culture": "nb-NO", "os_build": 19045}
DCOM_RULE = {
    "name": "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
    "exists": True,
    "enabled": False,
    "profiles": ["domain"],
    "group": "@FirewallAPI.dll,-33002",
    "display_name": "Fjernhjelp (DCOM-TCP inn)",
    "display_group": "Fjernhjelp",
}


def make_state(**faults):
    return HostState.from_json(
        {
            "hostname": "WS001",
            "facts": FACTS,
            "accounts": {"CONTOSO\\Helpdesk": "S-1-5-21-1-2-3-1105"},
            "registry": {
                TS: {
                    "fDenyTSConnections": {"type": "REG_DWORD", "data": 0},
                    "MaxIdleTime": {"type": "REG_DWORD", "data": 900000},
                    "fAllowUnsolicited": {"type": "REG_DWORD", "data": 1},
                    "aFirst": {"type": "REG_SZ", "data": "a"},
                },
                OLE: {"EnableDCOM": {"type": "REG_SZ", "data": "Y"}},
            },
            "firewall_rules": [{**DCOM_RULE, "profiles": ["public", "domain"]}],
            "faults": faults,
        }
    )


def read(state, check_mode=False, **args):
    return run_engine(state, {"action": "read", **args}, check_mode)


def test_keys_come_back_in_request_order_with_paths_normalised_as_requested():
    result = read(make_state(), keys=["hklm\\software\\microsoft\\ole\\", TS + "\\RAUnsolicit", TS])
    assert [k["path"] for k in result["keys"]] == [
        "HKLM:\\software\\microsoft\\ole",
        TS + "\\RAUnsolicit",
        TS,
    ]
    assert result["keys"][1] == {"path": TS + "\\RAUnsolicit", "exists": False, "values": []}
    assert result["keys"][0]["values"] == [{"name": "EnableDCOM", "type": "REG_SZ", "data": "Y"}]


def test_values_are_sorted_by_name_case_insensitively():
    names = [v["name"] for v in read(make_state(), keys=[TS])["keys"][0]["values"]]
    assert names == ["aFirst", "fAllowUnsolicited", "fDenyTSConnections", "MaxIdleTime"]


def test_facts_accounts_and_rules_are_reported():
    result = read(
        make_state(),
        accounts=["contoso\\HELPDESK", "CONTOSO\\nobody"],
        firewall_rules=["RemoteAssistance-DCOM-In-TCP-NoScope-Active", "NoSuchRule"],
    )
    assert result["facts"] == FACTS
    assert result["accounts"] == [
        {"name": "contoso\\HELPDESK", "sid": "S-1-5-21-1-2-3-1105"},
        {"name": "CONTOSO\\nobody", "sid": None},
    ]
    assert result["firewall_rules"] == [
        DCOM_RULE | {"profiles": ["domain", "public"]},
        {
            "name": "NoSuchRule",
            "exists": False,
            "enabled": None,
            "profiles": [],
            "group": None,
            "display_name": None,
            "display_group": None,
        },
    ]
    assert result["changed"] is False and result["contract_version"] == 1


def test_read_is_the_same_in_check_mode_and_never_writes():
    state = make_state()
    args = {
        "keys": [TS, OLE],
        "accounts": ["CONTOSO\\Helpdesk"],
        "firewall_rules": [DCOM_RULE["name"]],
    }
    assert read(state, check_mode=True, **args) == read(state, **args)
    assert state.registry.writes == 0


def test_a_denied_key_fails_the_whole_read_naming_the_key():
    result = read(make_state(deny_keys=[OLE.lower()]), keys=[TS, OLE])
    assert result["failed"] is True
    assert result["error"] == "access_denied"
    assert OLE in result["msg"]
    assert set(result) >= READ_KEYS


@pytest.mark.parametrize(
    "args",
    [
        {"action": "read", "keys": ["HKCU:\\Software"]},
        {"action": "read", "keys": ["HKLM:\\"]},
        {"action": "read", "keys": [TS, "HKLM:\\SOFTWARE\\\\Microsoft"]},
        {"action": "write"},
        {"action": 5},
    ],
)
def test_bad_requests_fail_with_bad_request(args):
    result = run_engine(make_state(), args, False)
    assert result["failed"] is True
    assert result["error"] == "bad_request"
    assert result["contract_version"] == 1 and result["changed"] is False
    if args.get("action") == "read":
        assert set(result) >= READ_KEYS


def test_ansible_internal_arguments_are_ignored():
    result = read(make_state(), keys=[OLE], _ansible_check_mode=False, _ansible_diff=True)
    assert "failed" not in result
    assert result["keys"][0]["exists"] is True


def test_only_listed_keys_are_denied_and_a_missing_denied_key_reads_as_missing():
    state = make_state(deny_keys=[TS + "\\RAUnsolicit", "HKLM:\\SOFTWARE\\Policies"])
    result = read(state, keys=[TS, TS + "\\RAUnsolicit"])
    assert "failed" not in result
    assert result["keys"][1] == {"path": TS + "\\RAUnsolicit", "exists": False, "values": []}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"action": "read", "colour": "blue"}, "Unsupported parameters"),
        ({"keys": [TS]}, "missing required arguments: action"),
        ({"action": "read", "keys": {"a": 1}}, "unable to convert to list"),
    ],
)
def test_argument_spec_failures_carry_msg_but_no_error_kind(args, message):
    result = run_engine(make_state(), args, False)
    assert result["failed"] is True and message in result["msg"]
    assert "error" not in result


def test_list_options_are_converted_as_ansible_converts_them():
    result = read(make_state(), keys=f"{OLE},{TS}", accounts=[1105])
    assert [k["path"] for k in result["keys"]] == [OLE, TS]
    assert result["accounts"] == [{"name": "1105", "sid": None}]


def test_values_sort_as_ordinal_ignore_case_and_foreign_types_read_as_reg_other():
    state = make_state()
    for name in ("_b", "Z", "a", "B"):
        state.registry.set_value(OLE, name, "REG_SZ", name)
    state.registry.set_value(OLE, "odd", "REG_NONE", b"\x01")
    values = read(state, keys=[OLE])["keys"][0]["values"]
    assert [v["name"] for v in values] == ["a", "B", "EnableDCOM", "odd", "Z", "_b"]
    assert values[3] == {"name": "odd", "type": "REG_OTHER", "data": None}
