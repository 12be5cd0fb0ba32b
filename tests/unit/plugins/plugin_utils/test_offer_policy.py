"""The Offer RA / solicited RA / DCOM table of SPEC.md and the wants it implies."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _offer_policy as policy,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    decode_value,
    typed_changes,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._offer_options import (
    OfferOptions,
    SolicitedOptions,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    WantValue,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    KeySnapshot,
    RegValue,
    path_key,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
BOB = "CONTOSO\\bob"
DESK = "CONTOSO\\Helpdesk"


def state_of(registry: dict, facts=None, accounts=None) -> CurrentState:
    """registry: path -> {name: (type, data)}; a path mapped to None does not exist."""
    keys = {}
    for path, values in registry.items():
        items = tuple(RegValue(n, t, d) for n, (t, d) in (values or {}).items())
        keys[path_key(path)] = KeySnapshot(path, values is not None, items)
    return CurrentState(keys, {"edition": "Enterprise", **(facts or {})}, accounts or {}, {})


def registry_of(current: CurrentState) -> dict:
    """The inverse of state_of: path (as read) -> {name: (type, data)}."""
    return {
        snap.path: {v.name: (v.type, v.data) for v in snap.values}
        for snap in current.keys.values()
        if snap.exists
    }


def apply(current: CurrentState, changes: list) -> CurrentState:
    """Apply engine change dicts to a state, as the engine would (case-insensitive names,
    keys created on set, never deleted)."""
    registry = {path_key(p): (p, dict(v)) for p, v in registry_of(current).items()}
    for change in changes:
        _path, values = registry.setdefault(path_key(change["path"]), (change["path"], {}))
        existing = next((n for n in values if n.casefold() == change["name"].casefold()), None)
        if change["op"] == "delete_value":
            assert existing is not None, change
            del values[existing]
        else:
            values[existing or change["name"]] = decode_value(change["kind"], change["data"])
    return state_of(dict(registry.values()), current.facts, current.accounts)


def plan_for(options: OfferOptions, current: CurrentState):
    return make_plan(policy.desired(options, current), current)


def converge(options: OfferOptions, current: CurrentState) -> CurrentState:
    after = apply(current, plan_for(options, current).changes)
    second = plan_for(options, after)
    assert typed_changes(second.changes) == [] and second.drift == [], second
    return after


def options(**kwargs) -> OfferOptions:
    kwargs.setdefault("dcom", False)
    if "helpers" in kwargs:
        kwargs["helpers"] = tuple(kwargs["helpers"])
    return OfferOptions(**kwargs)


EMPTY = state_of({})
FOREIGN_TS = {"fDenyTSConnections": ("REG_DWORD", 1), "MaxIdleTime": ("REG_DWORD", 900000)}

# SPEC's table, written out: (state, permission) -> Terminal Services values after converging.
OFFER_CASES = [
    ("enabled", "view", {"fAllowUnsolicited": 1, "fAllowUnsolicitedFullControl": 0}),
    ("enabled", "control", {"fAllowUnsolicited": 1, "fAllowUnsolicitedFullControl": 1}),
    ("disabled", "view", {"fAllowUnsolicited": 0}),
    ("disabled", "control", {"fAllowUnsolicited": 0}),
    ("absent", "view", {}),
    ("absent", "control", {}),
]

STARTS = {
    "empty host": {},
    "enabled control with helpers": {
        TS: {
            **FOREIGN_TS,
            "fAllowUnsolicited": ("REG_DWORD", 1),
            "fAllowUnsolicitedFullControl": ("REG_DWORD", 1),
        },
        RAU: {BOB: ("REG_SZ", BOB), "CONTOSO\\old": ("REG_SZ", "CONTOSO\\old")},
    },
    "disabled": {TS: {**FOREIGN_TS, "fAllowUnsolicited": ("REG_DWORD", 0)}, RAU: {}},
    "wrong types": {
        TS: {
            "fAllowUnsolicited": ("REG_SZ", "1"),
            "fAllowUnsolicitedFullControl": ("REG_DWORD", 0xFFFFFFFF),
        },
        RAU: {"1": ("REG_SZ", DESK)},
    },
}


@pytest.mark.parametrize("start", list(STARTS), ids=list(STARTS))
@pytest.mark.parametrize(("state", "permission", "expected"), OFFER_CASES)
def test_offer_policy_table(state, permission, expected, start):
    helpers = (DESK,) if state == "enabled" else ()
    before = state_of(STARTS[start])
    after = converge(options(state=state, permission=permission, helpers=helpers), before)
    registry = {path_key(p): v for p, v in registry_of(after).items()}
    ts_values = registry.get(path_key(TS), {})
    managed = {n: d for n, (t, d) in ts_values.items() if n in policy.OFFER_TABLE["enabled"]}
    assert managed == expected
    assert all(ts_values[n][0] == "REG_DWORD" for n in managed)
    # Remote Desktop values in the same key are never touched.
    for name, value in FOREIGN_TS.items():
        if name in STARTS[start].get(TS, {}):
            assert ts_values[name] == value
    helper_values = registry.get(path_key(RAU), {})
    if state == "enabled":
        assert helper_values == {DESK: ("REG_SZ", DESK)}
    else:
        assert helper_values == {}


@pytest.mark.parametrize(
    ("state", "setting_of"),
    [
        (
            "enabled",
            {"fAllowUnsolicited": "offer_policy", "fAllowUnsolicitedFullControl": "permission"},
        ),
        (
            "disabled",
            {"fAllowUnsolicited": "offer_policy", "fAllowUnsolicitedFullControl": "permission"},
        ),
    ],
)
def test_settings_labels(state, setting_of):
    wants = policy.desired(
        options(
            state=state,
            helpers=() if state != "enabled" else (BOB,),
            dcom=True,
            solicited=SolicitedOptions(),
        ),
        EMPTY,
    )
    labels = {w.name: w.setting for w in wants}
    for name, setting in setting_of.items():
        assert labels[name] == setting
    assert labels["EnableDCOM"] == "dcom"
    for name in ("fAllowToGetHelp", "fAllowFullControl", "MaxTicketExpiry", "MaxTicketExpiryUnits"):
        assert labels[name] == "solicited"
    if state == "enabled":
        assert labels[BOB] == "helpers"


def test_only_named_values_of_the_policy_key_are_wanted():
    wants = policy.desired(
        options(helpers=(BOB,), dcom=True, solicited=SolicitedOptions()), state_of({TS: FOREIGN_TS})
    )
    names = {w.name for w in wants if w.path == TS}
    assert names == set(policy.POLICY_VALUES)
    assert not names & set(FOREIGN_TS)


def test_permission_flip_changes_only_full_control():
    start = converge(options(permission="view", helpers=(BOB,)), EMPTY)
    plan = plan_for(options(permission="control", helpers=(BOB,)), start)
    assert typed_changes(plan.changes) == [
        {
            "op": "set_value",
            "path": TS,
            "name": "fAllowUnsolicitedFullControl",
            "type": "REG_DWORD",
            "data": 1,
            "expect": {"present": True, "type": "REG_DWORD", "data": 0},
        }
    ]
    assert [d["setting"] for d in plan.drift] == ["permission"]
    converge(options(permission="control", helpers=(BOB,)), start)


def test_enabling_on_an_empty_host_writes_every_value_with_absent_expects():
    plan = plan_for(options(helpers=(DESK, BOB)), EMPTY)
    assert {(c["path"], c["name"], c.get("data")) for c in typed_changes(plan.changes)} == {
        (TS, "fAllowUnsolicited", 1),
        (TS, "fAllowUnsolicitedFullControl", 0),
        (RAU, DESK, DESK),
        (RAU, BOB, BOB),
    }
    assert all(c["expect"] == {"present": False} for c in plan.changes)
    assert all(c["type"] == "REG_SZ" for c in typed_changes(plan.changes) if c["path"] == RAU)


# -- helpers -----------------------------------------------------------------------------

HOST_HELPERS = {
    RAU: {
        "CONTOSO\\Bob": ("REG_SZ", "contoso\\BOB"),
        "CONTOSO\\old": ("REG_SZ", "CONTOSO\\old"),
        "7": ("REG_SZ", "CONTOSO\\scripted"),
    }
}


def helper_registry(current: CurrentState) -> dict:
    return {path_key(p): v for p, v in registry_of(current).items()}.get(path_key(RAU), {})


def test_exact_mode_makes_the_list_exclusive():
    after = converge(options(helpers=(BOB, DESK)), state_of(HOST_HELPERS))
    assert helper_registry(after) == {
        "CONTOSO\\Bob": ("REG_SZ", "contoso\\BOB"),  # compliant: kept exactly as stored
        DESK: ("REG_SZ", DESK),
    }


def test_add_mode_only_ensures_the_listed_helpers():
    after = converge(options(helpers=(BOB, DESK), helpers_mode="add"), state_of(HOST_HELPERS))
    assert helper_registry(after) == {**HOST_HELPERS[RAU], DESK: ("REG_SZ", DESK)}


def test_remove_mode_removes_listed_helpers_by_name_or_data():
    current = state_of(HOST_HELPERS)
    plan = plan_for(
        options(
            helpers=("contoso\\bob", "CONTOSO\\Scripted", "CONTOSO\\gone"), helpers_mode="remove"
        ),
        current,
    )
    assert sorted(c["name"] for c in plan.changes if c["path"] == RAU) == ["7", "CONTOSO\\Bob"]
    assert all(c["op"] == "delete_value" for c in plan.changes if c["path"] == RAU)
    after = converge(
        options(
            helpers=("contoso\\bob", "CONTOSO\\Scripted", "CONTOSO\\gone"), helpers_mode="remove"
        ),
        current,
    )
    assert helper_registry(after) == {"CONTOSO\\old": ("REG_SZ", "CONTOSO\\old")}


def test_remove_mode_still_enables_the_policy():
    after = converge(options(helpers=(BOB,), helpers_mode="remove"), EMPTY)
    ts = {path_key(p): v for p, v in registry_of(after).items()}[path_key(TS)]
    assert ts["fAllowUnsolicited"] == ("REG_DWORD", 1)
    assert helper_registry(after) == {}


@pytest.mark.parametrize(
    "stored",
    [
        {"CONTOSO\\BOB": ("REG_SZ", "CONTOSO\\BOB")},
        {"contoso\\bob": ("REG_SZ", "CONTOSO\\Bob")},
        {"Contoso\\Bob": ("REG_SZ", "cOnToSo\\bOb")},
    ],
)
@pytest.mark.parametrize("mode", ["exact", "add"])
def test_case_insensitive_helper_identity_means_no_churn(stored, mode):
    current = state_of({**converge_policy_only(), RAU: stored})
    plan = plan_for(options(helpers=(BOB,), helpers_mode=mode), current)
    assert typed_changes(plan.changes) == [] and plan.drift == []


def converge_policy_only() -> dict:
    return {
        TS: {
            "fAllowUnsolicited": ("REG_DWORD", 1),
            "fAllowUnsolicitedFullControl": ("REG_DWORD", 0),
        }
    }


@pytest.mark.parametrize(
    ("stored_value", "why"),
    [
        (("REG_EXPAND_SZ", BOB), "wrong type"),
        (("REG_SZ", "CONTOSO\\eve"), "data names another account"),
        (("REG_MULTI_SZ", [BOB]), "not a string"),
    ],
)
def test_a_value_named_after_the_helper_but_not_granting_it_is_rewritten(stored_value, why):
    current = state_of({**converge_policy_only(), RAU: {BOB: stored_value}})
    plan = plan_for(options(helpers=(BOB,)), current)
    assert typed_changes(plan.changes) == [
        {
            "op": "set_value",
            "path": RAU,
            "name": BOB,
            "type": "REG_SZ",
            "data": BOB,
            "expect": {"present": True, "type": stored_value[0], "data": stored_value[1]},
        }
    ], why
    converge(options(helpers=(BOB,)), current)


def test_a_numbered_value_granting_a_helper_is_replaced_in_exact_mode():
    current = state_of({**converge_policy_only(), RAU: {"1": ("REG_SZ", BOB)}})
    after = converge(options(helpers=(BOB,)), current)
    assert helper_registry(after) == {BOB: ("REG_SZ", BOB)}


@pytest.mark.parametrize("state", ["disabled", "absent"])
@pytest.mark.parametrize("mode", ["exact", "add", "remove"])
def test_disabled_and_absent_delete_every_helper_whatever_the_mode(state, mode):
    current = state_of(HOST_HELPERS)
    wants = policy.desired(options(state=state, helpers=(DESK,), helpers_mode=mode), current)
    helper_wants = [w for w in wants if w.path == RAU]
    assert all(isinstance(w, WantAbsent) for w in helper_wants)
    assert {w.name for w in helper_wants} == set(HOST_HELPERS[RAU])
    assert helper_registry(converge(options(state=state, helpers_mode=mode), current)) == {}


def test_a_missing_helpers_key_is_not_an_error():
    current = state_of({RAU: None})
    assert [w for w in policy.desired(options(state="absent"), current) if w.path == RAU] == []


# -- resulting helper list -------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("exact", ["contoso\\BOB", DESK]),
        # host order is by value name: the numbered "7" entry sorts first
        ("add", ["CONTOSO\\scripted", "contoso\\BOB", DESK, "CONTOSO\\old"]),
        ("remove", ["CONTOSO\\old"]),
    ],
)
def test_resulting_helpers_is_the_list_after_converging(mode, expected):
    current = state_of(HOST_HELPERS)
    opts = options(
        helpers=(BOB, DESK) if mode != "remove" else (BOB, "CONTOSO\\scripted"), helpers_mode=mode
    )
    result = policy.resulting_helpers(opts, current)
    assert result == expected
    after = converge(opts, current)
    on_host = [v.data for v in sorted(after.key(RAU).values, key=lambda v: v.name.casefold())]
    assert on_host == result


@pytest.mark.parametrize("state", ["disabled", "absent"])
def test_resulting_helpers_is_empty_when_not_enabled(state):
    assert policy.resulting_helpers(options(state=state), state_of(HOST_HELPERS)) == []


# -- DCOM ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stored", "expect"),
    [
        (None, {"present": False}),
        (("REG_SZ", "N"), {"present": True, "type": "REG_SZ", "data": "N"}),
        # Data compares case-sensitively (SPEC): lowercase `y` is drift, rewritten once.
        (("REG_SZ", "y"), {"present": True, "type": "REG_SZ", "data": "y"}),
        (("REG_DWORD", 1), {"present": True, "type": "REG_DWORD", "data": 1}),
        (("REG_EXPAND_SZ", "Y"), {"present": True, "type": "REG_EXPAND_SZ", "data": "Y"}),
    ],
    ids=["missing", "N", "lowercase-y", "dword", "expand-sz"],
)
def test_dcom_is_set_to_string_y(stored, expect):
    current = state_of({OLE: {"EnableDCOM": stored} if stored else {}})
    plan = plan_for(options(state="absent", dcom=True), current)
    assert typed_changes(plan.changes) == [
        {
            "op": "set_value",
            "path": OLE,
            "name": "EnableDCOM",
            "type": "REG_SZ",
            "data": "Y",
            "expect": expect,
        }
    ]
    assert plan.drift[0]["setting"] == "dcom"
    converge(options(state="absent", dcom=True), current)


def test_dcom_y_is_compliant():
    current = state_of({OLE: {"EnableDCOM": ("REG_SZ", "Y")}})
    assert plan_for(options(state="absent", dcom=True), current).changes == []


@pytest.mark.parametrize("stored", [None, ("REG_SZ", "N"), ("REG_DWORD", 0)])
def test_dcom_false_leaves_the_value_alone(stored):
    current = state_of({OLE: {"EnableDCOM": stored} if stored else {}})
    wants = policy.desired(options(state="absent", dcom=False), current)
    assert [w for w in wants if w.path == OLE] == []


# -- solicited -------------------------------------------------------------------------------

SOLICITED_CASES = [
    (
        SolicitedOptions("enabled", "view", 1, "hours"),
        {
            "fAllowToGetHelp": 1,
            "fAllowFullControl": 0,
            "MaxTicketExpiry": 1,
            "MaxTicketExpiryUnits": 1,
        },
    ),
    (
        SolicitedOptions("enabled", "control", 30, "minutes"),
        {
            "fAllowToGetHelp": 1,
            "fAllowFullControl": 1,
            "MaxTicketExpiry": 30,
            "MaxTicketExpiryUnits": 0,
        },
    ),
    (
        SolicitedOptions("enabled", "view", 99, "days"),
        {
            "fAllowToGetHelp": 1,
            "fAllowFullControl": 0,
            "MaxTicketExpiry": 99,
            "MaxTicketExpiryUnits": 2,
        },
    ),
    (SolicitedOptions("disabled", "control", 5, "days"), {"fAllowToGetHelp": 0}),
    (SolicitedOptions("absent", "control", 5, "days"), {}),
]
SOLICITED_NAMES = (
    "fAllowToGetHelp",
    "fAllowFullControl",
    "MaxTicketExpiry",
    "MaxTicketExpiryUnits",
)
SOLICITED_STARTS = {
    "empty": {},
    "enabled control 2 days": {
        TS: {
            "fAllowToGetHelp": ("REG_DWORD", 1),
            "fAllowFullControl": ("REG_DWORD", 1),
            "MaxTicketExpiry": ("REG_DWORD", 2),
            "MaxTicketExpiryUnits": ("REG_DWORD", 2),
            "fUseMailto": ("REG_DWORD", 1),
        }
    },
}


@pytest.mark.parametrize("start", list(SOLICITED_STARTS))
@pytest.mark.parametrize(("solicited", "expected"), SOLICITED_CASES)
def test_solicited_table(solicited, expected, start):
    opts = options(state="absent", solicited=solicited)
    after = converge(opts, state_of(SOLICITED_STARTS[start]))
    ts = {path_key(p): v for p, v in registry_of(after).items()}.get(path_key(TS), {})
    assert {n: d for n, (t, d) in ts.items() if n in SOLICITED_NAMES} == expected
    assert all(ts[n][0] == "REG_DWORD" for n in expected)
    if "fUseMailto" in SOLICITED_STARTS[start].get(TS, {}):
        assert ts["fUseMailto"] == ("REG_DWORD", 1)  # not ours: untouched


def test_solicited_none_is_unmanaged():
    current = state_of(SOLICITED_STARTS["enabled control 2 days"])
    wants = policy.desired(options(state="absent"), current)
    assert not {w.name for w in wants} & set(SOLICITED_NAMES)


# -- host preconditions ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "edition", ["Core", "CoreN", "CoreSingleLanguage", "CoreCountrySpecific", "Windows Home"]
)
def test_home_edition_fails_when_enabling_naming_the_edition(edition):
    current = state_of({}, facts={"edition": edition})
    with pytest.raises(HostStateError, match=f"'{edition}'"):
        policy.desired(options(helpers=(BOB,)), current)


@pytest.mark.parametrize("edition", ["Core", "CoreSingleLanguage"])
@pytest.mark.parametrize("state", ["disabled", "absent"])
def test_home_edition_can_be_disabled_or_cleared(edition, state):
    current = state_of({}, facts={"edition": edition})
    assert policy.desired(options(state=state), current)


@pytest.mark.parametrize(
    "edition",
    ["Professional", "Enterprise", "Education", "ServerStandard", "ServerDatacenter", "", None],
)
def test_other_editions_can_enable(edition):
    current = state_of({}, facts={"edition": edition})
    assert policy.desired(options(helpers=(BOB,)), current)


def test_validate_helpers_fails_naming_every_unresolved_helper():
    current = state_of({}, accounts={BOB: "S-1-5-21-1-2-3-1105", DESK: None})
    opts = options(helpers=(BOB, DESK, "CONTOSO\\ghost"), validate_helpers=True)
    with pytest.raises(HostStateError) as caught:
        policy.desired(opts, current)
    message = str(caught.value)
    assert "'CONTOSO\\Helpdesk'" in message and "'CONTOSO\\ghost'" in message
    assert "'CONTOSO\\bob'" not in message


def test_validate_helpers_passes_when_all_resolve_case_insensitively():
    current = state_of({}, accounts={"contoso\\BOB": "S-1-5-21-1-2-3-1105"})
    wants = policy.desired(options(helpers=(BOB,), validate_helpers=True), current)
    assert WantValue("helpers", RAU, BOB, "REG_SZ", BOB) in wants


def test_unresolved_helpers_are_ignored_without_validate_helpers():
    current = state_of({}, accounts={BOB: None})
    assert policy.desired(options(helpers=(BOB,)), current)


@pytest.mark.parametrize(
    ("opts", "expected"),
    [
        (options(helpers=(BOB, DESK), validate_helpers=True), [BOB, DESK]),
        (options(helpers=(BOB,), validate_helpers=True, helpers_mode="add"), [BOB]),
        (options(helpers=(BOB,), validate_helpers=True, helpers_mode="remove"), []),
        (options(state="disabled", helpers=(BOB,), validate_helpers=True), []),
        (options(helpers=(BOB,), validate_helpers=False), []),
    ],
)
def test_accounts_to_resolve(opts, expected):
    assert policy.accounts_to_resolve(opts) == expected


def test_removing_a_stale_helper_does_not_need_it_to_resolve():
    current = state_of({RAU: {BOB: ("REG_SZ", BOB)}}, accounts={})
    opts = options(helpers=(BOB,), helpers_mode="remove", validate_helpers=True)
    assert WantAbsent("helpers", RAU, BOB) in policy.desired(opts, current)


@pytest.mark.parametrize(("dcom", "expected"), [(True, [TS, RAU, OLE]), (False, [TS, RAU])])
def test_keys_to_read(dcom, expected):
    assert policy.keys_to_read(options(dcom=dcom)) == expected
