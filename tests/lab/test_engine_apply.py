"""The lab engine's `apply` action: validation, compare-and-swap, ordered writes, check mode."""

import copy

import pytest
from _engine_requests import delete_value, engine, present, set_rule, set_value

from winra_lab.windows.hoststate import HostState

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
APPLY_KEYS = {"changed", "contract_version", "applied", "rolled_back", "conflicts"}
ABSENT = {"present": False}
RA_GROUP = "@FirewallAPI.dll,-33002"
DCOM = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
REGISTRY = {
    TS: {
        "fDenyTSConnections": {"type": "REG_DWORD", "data": 0},
        "fAllowUnsolicited": {"type": "REG_DWORD", "data": 0},
    },
    "HKLM:\\SOFTWARE\\Microsoft\\Ole": {"EnableDCOM": {"type": "REG_SZ", "data": "N"}},
}


def rule(name, group=RA_GROUP, enabled=False):
    return {"name": name, "enabled": enabled, "profiles": ["domain"], "group": group,
            "display_name": name, "display_group": "x"}  # fmt: skip


def make_state(registry=REGISTRY):
    return HostState.from_json(
        {
            "hostname": "WS001",
            "registry": copy.deepcopy(registry),
            "firewall_rules": [
                rule(DCOM),
                rule("RemoteDesktop-UserMode-In-TCP", group="@FirewallAPI.dll,-28752"),
            ],
        }
    )


def apply(state, changes, check_mode=False):
    result = engine(state, {"action": "apply", "changes": changes}, check_mode)
    assert set(result) >= APPLY_KEYS, result
    return result


ENABLE_OFFER = [
    set_value(TS, "fAllowUnsolicited", "REG_DWORD", 1, present("REG_DWORD", 0)),
    set_value(TS, "fAllowUnsolicitedFullControl", "REG_DWORD", 1, ABSENT),
    set_value(RAU, "CONTOSO\\Helpdesk", "REG_SZ", "CONTOSO\\Helpdesk", ABSENT),
]


def test_empty_changes_change_nothing():
    state = make_state()
    assert apply(state, []) == {
        "changed": False, "contract_version": 2, "applied": 0, "rolled_back": False, "conflicts": []
    }  # fmt: skip
    assert state.registry.writes == 0


def test_apply_writes_in_order_and_creates_missing_keys():
    state = make_state()
    result = apply(state, ENABLE_OFFER)
    assert result == {
        "changed": True,
        "contract_version": 2,
        "applied": 3,
        "rolled_back": False,
        "conflicts": [],
    }
    dump = state.registry.dump()
    assert dump[TS]["fAllowUnsolicited"] == {"type": "REG_DWORD", "data": 1}
    assert dump[TS]["fDenyTSConnections"] == {
        "type": "REG_DWORD",
        "data": 0,
    }  # unrelated value kept
    assert dump[RAU] == {"CONTOSO\\Helpdesk": {"type": "REG_SZ", "data": "CONTOSO\\Helpdesk"}}
    assert state.registry.writes == 4  # three values and the RAUnsolicit key


def test_writes_happen_in_request_order():
    state = make_state()
    names = ["b", "A", "c"]
    apply(state, [set_value(RAU, n, "REG_SZ", n, ABSENT) for n in names])
    # The registry lists values in creation order: the order the changes were written.
    assert [v.name for v in state.registry.values(RAU)] == names


def test_a_second_identical_apply_is_refused_by_compare_and_swap():
    state = make_state()
    apply(state, ENABLE_OFFER)
    writes, dump = state.registry.writes, state.registry.dump()
    result = apply(state, ENABLE_OFFER)
    assert result["error"] == "precondition"
    assert (state.registry.writes, state.registry.dump()) == (writes, dump)


def test_every_mismatch_is_a_conflict_and_nothing_is_written():
    state = make_state()
    changes = [
        set_value(TS, "fAllowUnsolicited", "REG_DWORD", 1, present("REG_SZ", "0")),  # wrong type
        set_value(TS, "fDenyTSConnections", "REG_DWORD", 1, present("REG_DWORD", 0)),  # matches
        delete_value(TS, "MaxIdleTime", present("REG_DWORD", 5)),  # missing
        set_value(
            "HKLM:\\SOFTWARE\\Microsoft\\Ole", "EnableDCOM", "REG_SZ", "Y", present("REG_SZ", "n")
        ),
    ]
    result = apply(state, changes)
    assert result["failed"] is True and result["error"] == "precondition"
    assert result["conflicts"] == [
        {"index": 0, "actual": present("REG_DWORD", 0)},
        {"index": 2, "actual": ABSENT},
        {"index": 3, "actual": present("REG_SZ", "N")},
    ]
    assert "fAllowUnsolicited" in result["msg"]
    assert state.registry.writes == 0
    assert state.registry.dump() == make_state().registry.dump()
    assert result["changed"] is False and result["applied"] == 0


def test_expect_compares_value_names_case_insensitively_and_data_exactly():
    state = make_state()
    ok = apply(
        state,
        [
            set_value(
                "HKLM:\\" + TS[6:].lower(),
                "FALLOWUNSOLICITED",
                "REG_DWORD",
                1,
                present("REG_DWORD", 0),
            )
        ],
    )
    assert ok["applied"] == 1
    assert state.registry.get_value(TS, "fAllowUnsolicited").name == "fAllowUnsolicited"


def test_delete_value_deletes_only_the_value_and_never_the_key():
    state = make_state()
    apply(state, [delete_value(TS, "fAllowUnsolicited", present("REG_DWORD", 0)),
                  delete_value(TS, "fDenyTSConnections", present("REG_DWORD", 0))])  # fmt: skip
    assert state.registry.key_exists(TS)
    assert state.registry.values(TS) == []


def test_check_mode_runs_phase_one_only_and_writes_nothing():
    state = make_state()
    dump = state.registry.dump()
    result = apply(state, [*ENABLE_OFFER, set_rule(DCOM, True)], check_mode=True)
    assert result["changed"] is True and "failed" not in result
    assert state.registry.writes == 0 and state.firewall_writes == 0
    assert state.registry.dump() == dump
    assert state.find_rule(DCOM).enabled is False
    assert apply(state, [], check_mode=True)["changed"] is False


def test_check_mode_still_reports_conflicts():
    state = make_state()
    result = apply(
        state, [delete_value(TS, "MaxIdleTime", present("REG_DWORD", 5))], check_mode=True
    )
    assert result["error"] == "precondition" and len(result["conflicts"]) == 1


def test_set_rule_sets_enabled_and_profiles_of_an_existing_rule():
    state = make_state()
    change = set_rule(DCOM, True) | {"profile": "Domain, Public"}
    assert apply(state, [change])["applied"] == 1
    assert (state.find_rule(DCOM).enabled, state.find_rule(DCOM).profiles) == (
        True,
        ["domain", "public"],
    )
    assert state.firewall_writes == 1 and state.registry.writes == 0


def test_set_rule_conflict_reports_the_rule_state():
    state = make_state()
    result = apply(state, [set_rule(DCOM, False, expect_enabled=True)])
    assert result["conflicts"] == [
        {"index": 0, "actual": {"present": True, "enabled": "False", "profile": "Domain",
                                "group": RA_GROUP}}
    ]  # fmt: skip


@pytest.mark.parametrize("check_mode", [False, True])
@pytest.mark.parametrize(
    ("name", "actual"),
    [("RemoteAssistance-RAServer-In-TCP-NoScope-Active", {"present": False}),
     ("RemoteDesktop-UserMode-In-TCP", {"present": True, "enabled": "False", "profile": "Domain",
                                        "group": "@FirewallAPI.dll,-28752"})],
)  # fmt: skip
def test_set_rule_never_creates_nor_touches_foreign_rules(name, actual, check_mode):
    # The controller judges the group; the compare-and-swap refuses a rule that is not as read.
    state = make_state()
    result = apply(state, [ENABLE_OFFER[0], set_rule(name, True)], check_mode)
    assert result["failed"] is True and result["error"] == "precondition"
    assert result["conflicts"] == [{"index": 1, "actual": actual}]
    assert name in result["msg"]
    assert len(state.firewall_rules) == 2
    assert state.registry.writes == 0 and state.firewall_writes == 0


BAD_CHANGES = [
    {"op": "rename_value", "path": TS, "name": "x", "expect": ABSENT},
    set_value(TS, "x", "REG_NONE", "", ABSENT),
    set_value(TS, "x", "REG_DWORD", -1, ABSENT),
    set_value(TS, "x", "REG_DWORD", 2**32, ABSENT),
    set_value(TS, "x", "REG_DWORD", "1", ABSENT),
    set_value(TS, "x", "REG_DWORD", True, ABSENT),
    set_value(TS, "x", "REG_SZ", 1, ABSENT),
    set_value(TS, "x", "REG_MULTI_SZ", "a", ABSENT),
    set_value(TS, "x", "REG_BINARY", "xyz", ABSENT),
    set_value("HKCU:\\Software", "x", "REG_SZ", "a", ABSENT),
    {"op": "set_value", "path": TS, "name": "x", "kind": "String", "data": "a"},
    set_value(TS, "x", "REG_SZ", "a", {"present": True, "kind": "DWord", "data": 1}),
    set_value(TS, "x", "REG_SZ", "a", {}),
    {"op": "set_rule", "name": DCOM, "enabled": "yes", "profile": "Domain", "expect": {}},
    set_rule(DCOM, True) | {"profile": "Standard"},
    set_rule(DCOM, True) | {"profile": "domain"},
    set_rule(DCOM, True) | {"profile": "Private, Domain"},
    set_rule(DCOM, True) | {"profile": ""},
    set_rule(DCOM, True) | {"name": ""},
    set_rule(DCOM, True) | {"path": TS},
    set_value(TS, "x", "REG_OTHER", None, ABSENT),
    set_value(TS, "x", "REG_SZ", "a", {"present": False, "kind": "String"}),
    set_value(TS, "x", "REG_SZ", "a", {"present": True, "kind": "String", "data": "b", "extra": 1}),
    set_value(TS, "x", "REG_SZ", "a", ABSENT) | {"comment": "unknown field"},
    delete_value(TS, "x", ABSENT) | {"kind": "String"},
    {"op": "delete_value", "path": TS, "expect": ABSENT},
    set_value("HKLM:\\", "x", "REG_SZ", "a", ABSENT),
    set_value(TS, 5, "REG_SZ", "a", ABSENT),
    # a second change of the same target (value names and paths compare case-insensitively)
    set_value(
        "HKLM:\\" + TS[6:].upper(), "FALLOWUNSOLICITED", "REG_DWORD", 1, present("REG_DWORD", 0)
    ),
]


@pytest.mark.parametrize("bad", BAD_CHANGES)
def test_malformed_changes_are_bad_requests_and_nothing_is_written(bad):
    state = make_state()
    result = apply(state, [ENABLE_OFFER[0], bad])
    assert result["failed"] is True and result["error"] == "bad_request", result
    assert state.registry.writes == 0
    assert state.registry.dump() == make_state().registry.dump()


def test_missing_changes_are_a_bad_request():
    # Every field of a request is required: nothing converts or defaults it.
    result = engine(make_state(), {"action": "apply"})
    assert result["failed"] is True and result["error"] == "bad_request"


@pytest.mark.parametrize("changes", ["x", {"op": "set_value"}, ["not a change"]])
def test_changes_that_are_not_objects_are_bad_requests(changes):
    state = make_state()
    result = engine(state, {"action": "apply", "changes": changes})
    assert result["failed"] is True and result["error"] == "bad_request"
    assert state.registry.writes == 0


def test_delete_value_expecting_absence_writes_nothing():
    state = make_state()
    result = apply(state, [delete_value(TS, "MaxIdleTime", ABSENT)])
    assert result["applied"] == 1 and state.registry.writes == 0


def test_a_rule_group_compares_ordinally_as_read():
    state = make_state()
    state.find_rule(DCOM).group = RA_GROUP.upper()
    assert apply(state, [set_rule(DCOM, True)])["error"] == "precondition"
    assert apply(state, [set_rule(DCOM, True, group=RA_GROUP.upper())])["applied"] == 1


def test_every_conflict_is_listed_rules_included():
    state = make_state()
    changes = [delete_value(TS, "MaxIdleTime", present("REG_DWORD", 5)), set_rule("Nope", True)]
    result = apply(state, changes)
    assert result["error"] == "precondition"
    assert result["conflicts"] == [{"index": 0, "actual": ABSENT}, {"index": 1, "actual": ABSENT}]


def test_binary_and_multi_sz_values_compare_by_data():
    registry = {
        TS: {
            "b": {"type": "REG_BINARY", "data": "beef"},
            "m": {"type": "REG_MULTI_SZ", "data": ["a"]},
        }
    }
    state = make_state(registry)
    result = apply(
        state,
        [set_value(TS, "b", "REG_BINARY", "00", present("REG_BINARY", "BEEF")),
         set_value(TS, "m", "REG_MULTI_SZ", ["a", "b"], present("REG_MULTI_SZ", ["a"]))],
    )  # fmt: skip
    assert result["applied"] == 2
    assert state.registry.dump()[TS] == {
        "b": {"type": "REG_BINARY", "data": "00"}, "m": {"type": "REG_MULTI_SZ", "data": ["a", "b"]}
    }  # fmt: skip


def test_dword_all_ones_is_written_and_compared_unsigned():
    state = make_state()
    apply(state, [set_value(TS, "x", "REG_DWORD", 0xFFFFFFFF, ABSENT)])
    result = apply(state, [delete_value(TS, "x", present("REG_DWORD", 4294967295))])
    assert result["applied"] == 1
