"""Faults in the lab engine: failed writes roll back, denied keys, someone else's changes."""

import pytest
from _engine_requests import delete_value, present, read_request, set_rule, set_value
from _engine_requests import engine as run

from winra_lab.windows import engine
from winra_lab.windows.hoststate import HostState, RegistryFaults
from winra_lab.windows.registry import RegistryError

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
FW = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile"
DCOM = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
ABSENT = {"present": False}


def make_state(**faults):
    return HostState.from_json(
        {
            "hostname": "WS001",
            "registry": {
                TS: {
                    "fDenyTSConnections": {"type": "REG_DWORD", "data": 0},
                    "fAllowUnsolicited": {"type": "REG_DWORD", "data": 0},
                },
                FW: {},  # an existing empty key: never removed by a rollback
            },
            "firewall_rules": [
                {
                    "name": DCOM,
                    "enabled": False,
                    "profiles": ["domain"],
                    "group": "@FirewallAPI.dll,-33002",
                    "display_name": "Remote Assistance (DCOM-In)",
                    "display_group": "Remote Assistance",
                }
            ],
            "faults": faults,
        }
    )


CHANGES = [
    set_value(TS, "fAllowUnsolicited", "REG_DWORD", 1, present("REG_DWORD", 0)),
    set_value(RAU, "CONTOSO\\Helpdesk", "REG_SZ", "CONTOSO\\Helpdesk", ABSENT),
    set_rule(DCOM, True),
    set_value(FW + "\\GloballyOpenPorts\\List", "135:TCP:*:Enabled:Offer Remote Assistance",
              "REG_SZ", "135:TCP:*:Enabled:Offer Remote Assistance", ABSENT),
    delete_value(TS, "fDenyTSConnections", present("REG_DWORD", 0)),
]  # fmt: skip


def snapshot(state):
    return (
        state.registry.dump(),
        sorted(state.registry.all_key_paths()),
        state.find_rule(DCOM).to_json(),
    )


def apply(state, changes=CHANGES, check_mode=False):
    return run(state, {"action": "apply", "changes": changes}, check_mode)


@pytest.mark.parametrize("k", range(len(CHANGES)))
def test_a_failed_write_at_any_position_rolls_everything_back(k):
    state = make_state(fail_write_after=k)
    before = snapshot(state)
    result = apply(state)
    assert result["failed"] is True
    assert result["error"] == "write_failed"
    assert result["rolled_back"] is True
    assert result["changed"] is False and result["applied"] == 0 and result["conflicts"] == []
    assert f"change {k} (" in result["msg"]
    # The host ends unchanged, including the keys this apply created (and only those).
    assert snapshot(state) == before
    assert state.registry.key_exists(FW)


def test_fail_write_after_beyond_the_last_change_lets_the_apply_converge():
    state = make_state(fail_write_after=len(CHANGES))
    result = apply(state)
    assert result["applied"] == len(CHANGES) and "failed" not in result
    assert state.registry.key_exists(RAU) and state.find_rule(DCOM).enabled is True


def test_rollback_removes_exactly_the_keys_this_apply_created():
    # Changes 2 and 4 created RAU and GloballyOpenPorts\List (with its parent); the empty
    # DomainProfile key existed before and stays.
    state = make_state(fail_write_after=4)
    apply(state)
    assert not state.registry.key_exists(RAU)
    assert not state.registry.key_exists(FW + "\\GloballyOpenPorts")
    assert state.registry.key_exists(FW)


def test_a_failing_rollback_reports_rollback_failed(monkeypatch):
    state = make_state(fail_write_after=2)

    def broken_delete(path, name):
        raise RegistryError("the key is locked")

    monkeypatch.setattr(state.registry, "delete_value", broken_delete)
    result = apply(state)
    assert result["error"] == "rollback_failed"
    assert result["rolled_back"] is False and result["changed"] is True
    assert "CONTOSO\\Helpdesk" in result["msg"] and "locked" in result["msg"]


def test_check_mode_never_reaches_the_injected_write_failure():
    state = make_state(fail_write_after=0)
    result = apply(state, check_mode=True)
    assert result["changed"] is True and "failed" not in result
    assert state.registry.writes == 0


def test_an_existing_denied_key_fails_phase_one_with_access_denied():
    state = make_state(deny_keys=[TS])
    before = snapshot(state)
    result = apply(state)
    assert result["error"] == "access_denied" and TS in result["msg"]
    assert result["rolled_back"] is False and result["changed"] is False
    assert snapshot(state) == before and state.registry.writes == 0


def test_a_missing_denied_key_passes_phase_one_then_its_creation_fails_and_rolls_back():
    state = make_state(deny_keys=[RAU])
    before = snapshot(state)
    result = apply(state)
    assert result["error"] == "write_failed" and result["rolled_back"] is True
    assert "change 1 (set_value" in result["msg"]
    assert snapshot(state) == before


def test_a_denied_parent_does_not_deny_its_subkeys():
    state = make_state(deny_keys=["HKLM:\\SOFTWARE\\Policies"])
    assert apply(state)["applied"] == len(CHANGES)


def test_deny_faults_can_be_replaced_at_run_time():
    state = make_state()
    state.faults = RegistryFaults(deny_keys=[TS])
    assert run(state, read_request([TS]))["error"] == "access_denied"
    state.faults.deny_keys.clear()
    assert "failed" not in run(state, read_request([TS]))


def test_change_before_apply_happens_once_and_is_not_counted_as_our_write():
    someone = [
        {
            "op": "set_value",
            "path": TS,
            "name": "fAllowUnsolicited",
            "type": "REG_DWORD",
            "data": 7,
        },
        {"op": "delete_value", "path": TS, "name": "fDenyTSConnections"},
    ]
    state = make_state(change_before_apply=someone)
    result = apply(state, CHANGES[:1])
    assert result["error"] == "precondition"
    assert result["conflicts"][0]["actual"] == present("REG_DWORD", 7)
    assert state.registry.writes == 0
    assert state.external_writes == 2
    assert state.faults.change_before_apply == []
    assert state.registry.get_value(TS, "fDenyTSConnections") is None
    # A fresh read-decide-apply with what is there now succeeds; the fault does not recur.
    retry = [dict(CHANGES[0], expect=present("REG_DWORD", 7))]
    assert apply(state, retry)["applied"] == 1
    assert state.external_writes == 2 and state.registry.writes == 1


def test_change_before_apply_also_runs_before_a_check_mode_apply():
    state = make_state(
        change_before_apply=[
            {"op": "set_rule", "name": DCOM, "enabled": True, "profiles": ["domain"]}
        ]
    )
    result = apply(state, CHANGES[2:3], check_mode=True)
    assert result["error"] == "precondition"
    assert result["conflicts"][0] == {"index": 0, "actual": {
        "present": True, "enabled": "True", "profile": "Domain", "group": "@FirewallAPI.dll,-33002"}}  # fmt: skip
    assert state.external_writes == 1 and state.firewall_writes == 0


def test_faults_survive_the_json_round_trip():
    someone = {"op": "set_value", "path": TS, "name": "x", "type": "REG_DWORD", "data": 7}
    state = make_state(
        deny_keys=["hklm\\software\\x"],
        fail_write_after=2,
        change_before_apply=[someone],
        change_before_rollback=[someone],
        firewall_unavailable=True,
        lsa_unavailable=True,
    )
    again = HostState.from_json(state.to_json())
    assert again.faults == RegistryFaults(
        ["HKLM:\\software\\x"], 2, [someone], [someone], True, True
    )


@pytest.mark.parametrize(
    "faults",
    [
        {"fail_write_after": -1},
        {"fail_write_after": True},
        {"bogus": 1},
        {"deny_keys": ["HKCU:\\Software"]},
        {"change_before_apply": [{"op": "rename", "path": TS, "name": "x"}]},
        {
            "change_before_apply": [
                {"op": "set_value", "path": TS, "name": "x", "type": "REG_DWORD"}
            ]
        },
        {
            "change_before_apply": [
                {"op": "set_value", "path": TS, "name": "x", "type": "REG_DWORD", "data": -1}
            ]
        },
    ],
)
def test_invalid_faults_are_refused(faults):
    with pytest.raises(ValueError):
        RegistryFaults.from_json(faults)


def test_engine_module_has_no_fault_state_of_its_own():
    # Two hosts with different faults do not affect each other.
    failing, healthy = make_state(fail_write_after=0), make_state()
    assert apply(failing)["error"] == "write_failed"
    assert apply(healthy)["applied"] == len(CHANGES)
    assert engine.CONTRACT_VERSION == 2


def test_a_concurrent_writer_during_the_apply_makes_the_rollback_leave_their_value():
    # Rollback is compare-and-swap: it restores only what still holds what this run wrote.
    theirs = {
        "op": "set_value",
        "path": TS,
        "name": "fAllowUnsolicited",
        "type": "REG_DWORD",
        "data": 7,
    }
    state = make_state(fail_write_after=2, change_before_rollback=[theirs])
    result = apply(state)
    assert result["error"] == "rollback_failed" and result["changed"] is True
    assert result["applied"] == 2 and result["rolled_back"] is False
    assert "fAllowUnsolicited" in result["msg"] and "someone else" in result["msg"]
    assert state.registry.get_value(TS, "fAllowUnsolicited").data == 7
    # The other write of this run was restored: the helper value is gone again.
    assert state.registry.get_value(RAU, "CONTOSO\\Helpdesk") is None


@pytest.mark.parametrize(("fault", "request_"), [
    ("firewall_unavailable", read_request(firewall_rules=[DCOM])),
    ("lsa_unavailable", read_request(accounts=["CONTOSO\\Helpdesk"])),
    ("firewall_unavailable", {"action": "apply", "changes": CHANGES}),
])  # fmt: skip
def test_an_unavailable_host_service_is_an_error_never_absence(fault, request_):
    state = make_state(**{fault: True})
    result = run(state, request_)
    assert result["failed"] is True and result["error"] == "query_failed"
    assert state.registry.writes == 0 and state.firewall_writes == 0
