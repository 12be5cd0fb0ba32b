"""The lab engine's `read` action follows docs/engine-contract.md (contract version 2)."""

import base64
import json

import pytest
from _engine_requests import engine, read_request

from winra_lab.windows.engine import run_engine
from winra_lab.windows.hoststate import HostState

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
READ_KEYS = {"changed", "contract_version", "keys", "accounts", "firewall_rules", "policy_sources"}
DCOM = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
DCOM_RULE = {
    "name": DCOM,
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
            "facts": {"hostname": "WS001", "domain_joined": True},
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
    return engine(state, read_request(**args), check_mode)


def test_keys_come_back_in_request_order_with_paths_as_requested():
    result = read(make_state(), keys=["HKLM:\\software\\microsoft\\ole", TS + "\\RAUnsolicit", TS])
    assert [k["path"] for k in result["keys"]] == [
        "HKLM:\\software\\microsoft\\ole",
        TS + "\\RAUnsolicit",
        TS,
    ]
    assert result["keys"][1] == {"path": TS + "\\RAUnsolicit", "exists": False, "values": []}
    assert result["keys"][0]["values"] == [{"name": "EnableDCOM", "kind": "String", "data": "Y"}]


def test_values_come_as_the_host_enumerates_them_with_numbers_as_hex():
    values = read(make_state(), keys=[TS])["keys"][0]["values"]
    assert [v["name"] for v in values] == [
        "fDenyTSConnections",
        "MaxIdleTime",
        "fAllowUnsolicited",
        "aFirst",
    ]
    assert values[1] == {
        "name": "MaxIdleTime",
        "kind": "DWord",
        "data": (900000).to_bytes(4, "little").hex(),
    }


def test_accounts_and_rules_are_reported_raw_and_there_are_no_facts():
    result = read(
        make_state(),
        accounts=["contoso\\HELPDESK", "CONTOSO\\nobody"],
        firewall_rules=[DCOM, "NoSuchRule"],
    )
    assert "facts" not in result
    assert result["accounts"] == [
        {"name": "contoso\\HELPDESK", "sid": "S-1-5-21-1-2-3-1105"},
        {"name": "CONTOSO\\nobody", "sid": None},
    ]
    # One row per rule found; a Name that matches nothing has no row.
    assert result["firewall_rules"] == [
        {"name": DCOM, "enabled": "False", "profile": "Domain, Public", "group": "@FirewallAPI.dll,-33002",
         "display_name": "Fjernhjelp (DCOM-TCP inn)", "display_group": "Fjernhjelp",
         "source_type": "Local", "source": "PersistentStore"}
    ]  # fmt: skip
    assert result["changed"] is False and result["contract_version"] == 2


def test_read_is_the_same_in_check_mode_and_never_writes():
    state = make_state()
    args = {"keys": [TS, OLE], "accounts": ["CONTOSO\\Helpdesk"], "firewall_rules": [DCOM]}
    assert read(state, check_mode=True, **args) == read(state, **args)
    assert state.registry.writes == 0


def test_a_denied_key_fails_the_whole_read_naming_the_key_without_partial_state():
    result = read(make_state(deny_keys=[OLE.lower()]), keys=[TS, OLE])
    assert result["failed"] is True and result["error"] == "access_denied"
    assert OLE in result["msg"]
    assert not set(result) & (READ_KEYS - {"changed", "contract_version"})


@pytest.mark.parametrize(
    "document",
    [
        read_request(["HKCU:\\Software"]),
        read_request(["HKLM:\\"]),
        read_request([TS, "HKLM:\\SOFTWARE\\\\Microsoft"]),
        read_request([TS + "\\"]),
        read_request(["hklm:\\SOFTWARE"]),
        {"action": "write"},
        {"action": 5},
        {"action": "read", "keys": [TS]},
        read_request([TS]) | {"Keys": []},
        read_request([TS]) | {"policy_sources": "yes"},
        read_request(f"{OLE},{TS}"),
        read_request(accounts=[1105]),
        ["read"],
    ],
)
def test_bad_requests_fail_with_bad_request(document):
    result = engine(make_state(), document)
    assert result["failed"] is True and result["error"] == "bad_request"
    assert result["contract_version"] == 2 and result["changed"] is False


def test_ansible_internal_arguments_are_ignored_and_no_other_option_is_accepted():
    args = {"request": base64.b64encode(json.dumps(read_request([OLE])).encode()).decode()}
    result = run_engine(
        make_state(), {**args, "_ansible_check_mode": False, "_ansible_diff": True}, False
    )
    assert "failed" not in result and result["keys"][0]["exists"] is True
    for extra in ({"action": "read"}, {"keys": [OLE]}, {"Request": args["request"]}):
        refused = run_engine(make_state(), {**args, **extra}, False)
        assert refused["error"] == "bad_request", extra
    assert run_engine(make_state(), {"request": "not base64!"}, False)["error"] == "bad_request"


def test_only_listed_keys_are_denied_and_a_missing_denied_key_reads_as_missing():
    state = make_state(deny_keys=[TS + "\\RAUnsolicit", "HKLM:\\SOFTWARE\\Policies"])
    result = read(state, keys=[TS, TS + "\\RAUnsolicit"])
    assert "failed" not in result
    assert result["keys"][1] == {"path": TS + "\\RAUnsolicit", "exists": False, "values": []}


def test_a_value_outside_the_writable_kinds_reads_with_its_kind_and_bytes():
    state = make_state()
    state.registry.set_value(OLE, "odd", "REG_NONE", b"\x01")
    values = read(state, keys=[OLE])["keys"][0]["values"]
    assert values[-1] == {"name": "odd", "kind": "None", "data": "01"}


@pytest.mark.parametrize(
    ("raw", "kind", "data"),
    [(bytes.fromhex("0100000000000000"), "DWord", "0100000000000000"),  # 8 bytes: an Int64
     (bytes.fromhex("0100"), "DWord", "01000000"),  # fewer than 4: zero-extended
     (bytes.fromhex("01" * 9), "DWord", "01" * 9)],  # more than 8: the bytes
)  # fmt: skip
def test_a_dword_of_unexpected_size_reads_as_dotnet_returns_it(raw, kind, data):
    state = make_state()
    state.registry.set_value(TS, "odd", "REG_DWORD", raw)
    values = {v["name"]: v for v in read(state, keys=[TS])["keys"][0]["values"]}
    assert values["odd"] == {"name": "odd", "kind": kind, "data": data}


def test_policy_sources_are_the_rsop_rows_of_the_requested_keys_only():
    state = make_state()
    state.gpo_values = [
        {"path": TS, "name": "fAllowUnsolicited", "type": "REG_DWORD", "data": 0, "gpo": "G", "gpo_id": "id"},
        {"path": OLE, "name": "EnableDCOM", "type": "REG_SZ", "data": "N", "gpo": "G", "gpo_id": "id"},
    ]  # fmt: skip
    sources = read(state, keys=[TS], policy_sources=True)["policy_sources"]
    assert sources == {"available": True, "reason": None, "settings": [
        {"key": TS[6:], "name": "fAllowUnsolicited", "value_type": "4", "value": "00000000",
         "deleted": False, "gpo_id": "id", "gpo": "G"}]}  # fmt: skip
    not_asked = read(state, keys=[TS])["policy_sources"]
    assert not_asked == {"available": False, "reason": "not requested", "settings": []}
