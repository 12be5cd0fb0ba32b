# -*- coding: utf-8 -*-
"""The Registry.pol mapping, the merge into an existing file, and the refresh view."""

from __future__ import annotations

import struct

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _preg
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo import (
    RA_UNSOLICIT,
    TERMINAL_SERVICES,
    DesiredPolicy,
    FirewallList,
    OfferPolicy,
    list_key,
    list_parent,
    offer_records,
    owns_offer_record,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_merge import plan
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_refresh import (
    compare_live,
    refresh_effect,
)

U16 = "utf-16-le"
HELPERS = ("CONTOSO\\Helpdesk", "CONTOSO\\Tier2")
PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
PROGRAM = (
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:Remote Assistance \u2013 Voice"
)


def dword(key, name, value):
    return _preg.PolRecord(key, name, 4, struct.pack("<I", value))


def sz(key, name, text):
    return _preg.PolRecord(key, name, 1, (text + "\0").encode(U16))


SPACE = (" \0").encode(U16)
RDP = dword(TERMINAL_SERVICES, "fDenyTSConnections", 0)
VENDOR = _preg.PolRecord("Software\\Policies\\Vendor", "Blob", 3, b"\x00\x01\x02")
ENABLED = DesiredPolicy(offer=OfferPolicy("enabled", control=True, helpers=HELPERS))


def as_tuples(records):
    return [(r.key, r.value, r.type, r.data) for r in records]


# -- the mapping --------------------------------------------------------------------------------


def test_enabled_is_written_as_group_policy_writes_it():
    assert as_tuples(offer_records(OfferPolicy("enabled", control=True, helpers=HELPERS))) == [
        (TERMINAL_SERVICES, "fAllowUnsolicited", 4, b"\x01\x00\x00\x00"),
        (TERMINAL_SERVICES, "fAllowUnsolicitedFullControl", 4, b"\x01\x00\x00\x00"),
        (RA_UNSOLICIT, "**delvals.", 1, SPACE),
        (RA_UNSOLICIT, HELPERS[0], 1, (HELPERS[0] + "\0").encode(U16)),
        (RA_UNSOLICIT, HELPERS[1], 1, (HELPERS[1] + "\0").encode(U16)),
    ]


def test_view_only_writes_full_control_zero():
    records = offer_records(OfferPolicy("enabled", control=False, helpers=()))
    assert records[1].data == b"\x00\x00\x00\x00"
    assert [r.value for r in records] == [
        "fAllowUnsolicited",
        "fAllowUnsolicitedFullControl",
        "**delvals.",
    ]


def test_disabled_is_written_as_group_policy_writes_it():
    assert as_tuples(offer_records(OfferPolicy("disabled"))) == [
        (TERMINAL_SERVICES, "fAllowUnsolicited", 4, b"\x00\x00\x00\x00"),
        (TERMINAL_SERVICES, "**del.fAllowUnsolicitedFullControl", 1, SPACE),
        (RA_UNSOLICIT, "**delvals.", 1, SPACE),
    ]


def test_not_configured_has_no_records():
    assert offer_records(OfferPolicy("not_configured")) == ()


def test_unknown_offer_state_is_refused():
    with pytest.raises(ValueError, match="offer state"):
        offer_records(OfferPolicy("on"))


def test_value_names_match_exactly_never_by_prefix():
    # An old Salt version matched substrings: fAllowUnsolicited is a prefix of the other.
    assert owns_offer_record(dword(TERMINAL_SERVICES, "FALLOWUNSOLICITED", 1))
    assert owns_offer_record(dword(TERMINAL_SERVICES, "**del.fAllowUnsolicitedFullControl", 1))
    assert not owns_offer_record(dword(TERMINAL_SERVICES, "fAllowUnsolicitedX", 1))
    assert not owns_offer_record(dword(TERMINAL_SERVICES, "fAllow", 1))
    assert not owns_offer_record(RDP)
    assert not owns_offer_record(dword(TERMINAL_SERVICES, "**DeleteValues", 1))


def test_dcom_is_never_in_registry_pol():
    records = plan(
        [],
        DesiredPolicy(
            offer=OfferPolicy("enabled", helpers=HELPERS),
            firewall=(FirewallList("domain", "port", (PORT,)),),
        ),
    ).records
    assert not [r for r in records if "ole" in r.key.casefold()]


def test_firewall_lists_are_ordinary_records_plus_the_enabled_flag():
    desired = DesiredPolicy(
        firewall=(
            FirewallList("domain", "port", (PORT,)),
            FirewallList("standard", "program", (PROGRAM,)),
        )
    )
    assert as_tuples(plan([], desired).records) == [
        (list_parent("domain", "port"), "Enabled", 4, b"\x01\x00\x00\x00"),
        (list_key("domain", "port"), PORT, 1, (PORT + "\0").encode(U16)),
        (list_parent("standard", "program"), "Enabled", 4, b"\x01\x00\x00\x00"),
        (list_key("standard", "program"), PROGRAM, 1, (PROGRAM + "\0").encode(U16)),
    ]
    assert list_key("domain", "port") == (
        "Software\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\\GloballyOpenPorts\\List"
    )


# -- the merge -----------------------------------------------------------------------------------


def test_unmanaged_records_are_kept_byte_for_byte_and_ours_replace_in_place():
    current = [
        VENDOR,
        dword(TERMINAL_SERVICES, "fAllowUnsolicited", 0),
        RDP,
        sz(RA_UNSOLICIT, "OLD\\x", "OLD\\x"),
        sz("Software\\Policies\\Other", "Z", "z"),
    ]
    result = plan(current, ENABLED)
    data = _preg.write(result.records)
    assert VENDOR.to_bytes() in data and RDP.to_bytes() in data
    values = [r.value for r in result.records]
    assert values == [
        "Blob",
        "fAllowUnsolicited",
        "fAllowUnsolicitedFullControl",
        "**delvals.",
        *HELPERS,
        "fDenyTSConnections",
        "Z",
    ]
    actions = {(c.action, c.value) for c in result.changes}
    assert ("remove", "OLD\\x") in actions and ("add", HELPERS[0]) in actions
    assert ("add", "fAllowUnsolicited") in actions and ("remove", "fAllowUnsolicited") in actions


def test_records_are_appended_when_the_file_has_none_of_ours():
    result = plan([VENDOR, RDP], ENABLED)
    assert result.records[:2] == (VENDOR, RDP)
    assert result.records[2:] == offer_records(ENABLED.offer)


def test_second_plan_changes_nothing_and_writes_the_same_bytes():
    first = plan([VENDOR], ENABLED)
    again = plan(_preg.parse(_preg.write(first.records)).records, ENABLED)
    assert not again.changed
    assert _preg.write(again.records) == _preg.write(first.records)


def test_ours_scattered_among_others_in_any_case_still_count_as_done():
    current = [
        sz(RA_UNSOLICIT.upper(), "**DELVALS.", " "),
        RDP,
        sz(RA_UNSOLICIT, HELPERS[1], HELPERS[1]),
        dword(TERMINAL_SERVICES, "fallowunsolicitedfullcontrol", 1),
        VENDOR,
        sz(RA_UNSOLICIT, HELPERS[0], HELPERS[0]),
        dword(TERMINAL_SERVICES, "fAllowUnsolicited", 1),
    ]
    result = plan(current, ENABLED)
    assert not result.changed and list(result.records) == current


def test_delvals_after_the_helpers_is_rewritten_in_group_policy_order():
    current = list(offer_records(ENABLED.offer))
    current.append(current.pop(2))  # **delvals. last: a refresh would delete every helper
    result = plan(current, ENABLED)
    assert [c.action for c in result.changes] == ["reorder"]
    assert result.records == offer_records(ENABLED.offer)


def test_disabled_replaces_enabled():
    result = plan(
        [*offer_records(ENABLED.offer), RDP], DesiredPolicy(offer=OfferPolicy("disabled"))
    )
    assert result.records == (*offer_records(OfferPolicy("disabled")), RDP)


@pytest.mark.parametrize("how", ["not_configured", "absent"])
def test_not_configured_and_absent_remove_only_our_records(how):
    firewall = (FirewallList("domain", "port", (PORT,)),)
    others_entry = sz(list_key("domain", "port"), "3389:TCP", "3389:TCP:*:Enabled:RDP")
    current = [RDP, *plan([], DesiredPolicy(offer=ENABLED.offer, firewall=firewall)).records]
    current.insert(3, others_entry)
    current.append(VENDOR)
    if how == "absent":
        desired = DesiredPolicy(state="absent", offer=ENABLED.offer, firewall=firewall)
    else:
        desired = DesiredPolicy(offer=OfferPolicy("not_configured"))
    result = plan(current, desired)
    remaining = [r.value for r in result.records]
    assert "fDenyTSConnections" in remaining and "Blob" in remaining and "3389:TCP" in remaining
    assert not [v for v in remaining if v.casefold().startswith("fallowunsolicited")]
    assert not [r for r in result.records if r.key == RA_UNSOLICIT]
    if how == "absent":
        assert PORT not in remaining
        # The list's flag stays: other entries may rely on the list being in force.
        assert [r.key for r in result.records if r.value == "Enabled"] == [
            list_parent("domain", "port")
        ]
    else:
        assert PORT in remaining


def test_firewall_entry_under_another_name_with_our_data_is_ours_and_kept():
    current = [
        dword(list_parent("domain", "port"), "Enabled", 1),
        sz(list_key("domain", "port"), "135:TCP", PORT),
    ]
    result = plan(current, DesiredPolicy(firewall=(FirewallList("domain", "port", (PORT,)),)))
    assert not result.changed and list(result.records) == current


def test_conflicting_entry_for_the_same_port_is_replaced_and_others_stay():
    narrow = sz(list_key("domain", "port"), "135:TCP", "135:tcp:10.0.0.1:Disabled:old")
    malformed = sz(list_key("domain", "port"), "junk", "not an entry")
    other = sz(list_key("domain", "port"), "445:TCP", "445:TCP:*:Enabled:SMB")
    current = [narrow, malformed, other]
    result = plan(current, DesiredPolicy(firewall=(FirewallList("domain", "port", (PORT,)),)))
    values = [r.value for r in result.records]
    assert values == ["Enabled", PORT, "junk", "445:TCP"]
    assert ("remove", "135:TCP") in {(c.action, c.value) for c in result.changes}


def test_offer_none_leaves_the_offer_records_alone():
    current = [dword(TERMINAL_SERVICES, "fAllowUnsolicited", 0)]
    result = plan(current, DesiredPolicy(firewall=(FirewallList("domain", "port", (PORT,)),)))
    assert result.records[0] == current[0]


# -- the refresh view ------------------------------------------------------------------------------

TS_LIVE = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU_LIVE = TS_LIVE + "\\RAUnsolicit"


def live_value(type_name, data):
    return {"type": type_name, "data": data}


def test_live_values_matching_the_policy_agree():
    records = offer_records(ENABLED.offer)
    live = {
        TS_LIVE: {
            "fAllowUnsolicited": live_value("REG_DWORD", 1),
            "fAllowUnsolicitedFullControl": live_value("REG_DWORD", 1),
            "fDenyTSConnections": live_value("REG_DWORD", 0),
        },
        RAU_LIVE: {h: live_value("REG_SZ", h) for h in HELPERS},
    }
    rows = compare_live(records, live)
    assert len(rows) == 4 and all(row["agrees"] for row in rows)
    assert "fDenyTSConnections" not in {row["name"] for row in rows}


def test_differences_show_the_policy_and_the_live_value():
    records = offer_records(OfferPolicy("disabled"))
    live = {
        TS_LIVE: {
            "fAllowUnsolicited": live_value("REG_DWORD", 1),
            "fAllowUnsolicitedFullControl": live_value("REG_DWORD", 1),
        },
        RAU_LIVE: {"CONTOSO\\Someone": live_value("REG_SZ", "CONTOSO\\Someone")},
    }
    rows = {row["name"]: row for row in compare_live(records, live)}
    assert rows["fAllowUnsolicited"]["policy"] == live_value("REG_DWORD", 0)
    assert rows["fAllowUnsolicited"]["live"] == live_value("REG_DWORD", 1)
    assert not rows["fAllowUnsolicited"]["agrees"]
    assert rows["fAllowUnsolicitedFullControl"]["policy"] is None
    assert not rows["fAllowUnsolicitedFullControl"]["agrees"]
    # The list is exclusive: a refresh deletes a helper the file does not list.
    assert rows["CONTOSO\\Someone"]["policy"] is None and not rows["CONTOSO\\Someone"]["agrees"]


def test_missing_live_value_disagrees():
    rows = compare_live(offer_records(ENABLED.offer), {TS_LIVE: {}})
    assert {row["name"]: row["agrees"] for row in rows} == {
        "fAllowUnsolicited": False,
        "fAllowUnsolicitedFullControl": False,
    }


def test_refresh_effect_follows_every_special_value_in_order():
    key = "Software\\Policies\\Vendor"
    records = [
        dword(key, "A", 1),
        dword(key, "B", 2),
        sz(key, "**DeleteValues", "A;C"),
        sz(key, "**soft.D", "d"),
        sz(key, "**del.E", " "),
        sz(key, "**DeleteKeys", "Sub"),
        dword(key, "**SecureKey", 1),
    ]
    effect = refresh_effect(records)[key.casefold()]
    assert effect.values == {
        "a": ("A", None),
        "b": ("B", live_value("REG_DWORD", 2)),
        "c": ("C", None),
        "e": ("E", None),
    }
    assert effect.soft == {"d": ("D", live_value("REG_SZ", "d"))}
    assert refresh_effect(records)[(key + "\\Sub").casefold()].exclusive
    rows = {
        r["name"]: r
        for r in compare_live(records, {"HKLM:\\" + key: {"D": live_value("REG_SZ", "x")}})
    }
    assert rows["D"]["agrees"]  # a soft value never overwrites what is there


@pytest.mark.parametrize(
    "desired",
    [
        DesiredPolicy(state="enabled"),
        DesiredPolicy(firewall=(FirewallList("public", "port", (PORT,)),)),
        DesiredPolicy(firewall=(FirewallList("domain", "service", ()),)),
    ],
)
def test_a_desired_policy_outside_the_mapping_is_refused(desired):
    with pytest.raises(ValueError):
        plan([], desired)
