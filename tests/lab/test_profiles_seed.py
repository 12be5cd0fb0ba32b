"""The lab's host profiles: every one builds, and each holds exactly what it promises."""

import pytest
from _engine_requests import engine, read_request, set_rule

from winra_lab.windows import group_policy, profiles
from winra_lab.windows.firewall import RA_GROUP
from winra_lab.windows.hoststate import HostState

TS = profiles.TS
OLE = profiles.OLE
FW = profiles.FIREWALL
RAU = profiles.RA_UNSOLICIT
HELPDESK_SID = "S-1-5-21-1004336348-1177238915-682003330-1105"
OFFER_RULES = list(profiles.OFFER_RA_RULES)
EN_DASH_PROGRAM = (
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
    "Remote Assistance \u2013 Windows Messenger and Voice"
)


def build(profile, index=0):
    return profiles.build(profile, index, f"WS{index:03d}")


def value(state, path, name):
    found = state.registry.get_value(path, name)
    return None if found is None else (found.type, found.data)


def list_entries(state, profile, kind):
    return {v.name: v.data for v in state.registry.values(f"{FW}\\{profile}\\{kind}\\List") or []}


STANDARD_PORTS = {
    "135:TCP:*:Enabled:Offer Remote Assistance": "135:TCP:*:Enabled:Offer Remote Assistance"
}
STANDARD_PROGRAMS = {entry: entry for entry in profiles.LEGACY_PROGRAMS}


@pytest.mark.parametrize("profile", list(profiles.PROFILES))
def test_every_profile_builds_round_trips_and_keeps_unrelated_values(profile):
    state = build(profile, 7)
    assert state.profile == profile and state.hostname == "WS007"
    assert state.facts["hostname"] == "WS007"
    assert state.registry.writes == 0
    assert value(state, TS, "fDenyTSConnections") == ("REG_DWORD", 0)
    assert value(state, TS, "MaxIdleTime") == ("REG_DWORD", 900000)
    assert value(state, OLE, "EnableDCOM") is not None
    assert HostState.from_json(state.to_json()).to_json() == state.to_json()
    assert "\n" not in profiles.PROFILES[profile]


def test_unknown_profiles_are_refused_with_the_known_names():
    with pytest.raises(ValueError, match="compliant"):
        profiles.build("nope", 0, "WS000")


def test_compliant_holds_exactly_the_standard():
    state = build("compliant")
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)
    assert value(state, TS, "fAllowUnsolicitedFullControl") == ("REG_DWORD", 1)
    assert {v.name: (v.type, v.data) for v in state.registry.values(RAU)} == {
        "CONTOSO\\Helpdesk": ("REG_SZ", "CONTOSO\\Helpdesk"),
        "CONTOSO\\Tier2 Support": ("REG_SZ", "CONTOSO\\Tier2 Support"),
    }
    assert value(state, OLE, "EnableDCOM") == ("REG_SZ", "Y")
    for fw_profile in ("DomainProfile", "StandardProfile"):
        assert list_entries(state, fw_profile, "GloballyOpenPorts") == STANDARD_PORTS
        assert list_entries(state, fw_profile, "AuthorizedApplications") == STANDARD_PROGRAMS
        for kind in ("GloballyOpenPorts", "AuthorizedApplications"):
            assert value(state, f"{FW}\\{fw_profile}\\{kind}", "Enabled") == ("REG_DWORD", 1)
    assert EN_DASH_PROGRAM in STANDARD_PROGRAMS
    assert all(state.find_rule(name).enabled for name in OFFER_RULES)


def test_compliant_holds_the_standard_in_local_group_policy_as_after_a_refresh():
    state = build("compliant")
    data = state.files.peek(group_policy.MACHINE_POL)
    assert state.files.peek(group_policy.HISTORY_POL) == data, "applied by the last refresh"
    assert b"Version=" in state.files.peek(group_policy.GPT_INI)
    records = group_policy.read_pol(data)
    ra = "Software\\Policies\\Microsoft\\Windows NT\\Terminal Services\\RAUnsolicit"
    names = [(key, name) for key, name, _type, _data in records]
    # The editor clears the helper list before writing it.
    assert names.index((ra, "**delvals.")) < names.index((ra, "CONTOSO\\Helpdesk"))
    assert len(records) == 3 + 2 + 2 * (2 + len(STANDARD_PORTS) + len(STANDARD_PROGRAMS))
    # A refresh of that file changes nothing: file and live values agree.
    before = state.to_json()
    assert group_policy.refresh_local_policy(state)["local_policy"] == "applied"
    assert state.to_json() == before


def test_fresh_has_nothing_of_ours():
    state = build("fresh")
    assert value(state, TS, "fAllowUnsolicited") is None
    assert value(state, TS, "fAllowUnsolicitedFullControl") is None
    assert not state.registry.key_exists(RAU)
    assert not state.registry.key_exists(f"{FW}\\DomainProfile\\GloballyOpenPorts")
    assert value(state, OLE, "EnableDCOM") == ("REG_SZ", "Y")
    assert state.facts["os_build"] == 19045 and state.facts["edition"] == "Enterprise"
    assert not any(state.find_rule(name).enabled for name in OFFER_RULES)


@pytest.mark.parametrize(
    ("profile", "path", "name", "expected"),
    [
        ("drift-permission", TS, "fAllowUnsolicitedFullControl", ("REG_DWORD", 0)),
        ("drift-dcom", OLE, "EnableDCOM", ("REG_SZ", "N")),
        ("drift-policy-off", TS, "fAllowUnsolicited", None),
        ("legacy-xp-values", OLE, "EnableDCOM", ("REG_SZ", "y")),
    ],
)
def test_single_value_drifts(profile, path, name, expected):
    state = build(profile)
    assert value(state, path, name) == expected
    assert value(state, RAU, "CONTOSO\\Helpdesk") is not None  # the rest is standard


def test_drift_helpers_has_an_extra_and_a_missing_helper():
    names = {v.name for v in build("drift-helpers").registry.values(RAU)}
    assert names == {"CONTOSO\\Helpdesk", "CONTOSO\\Contractors"}


def test_drift_firewall_has_a_disabled_duplicate_and_a_missing_program():
    state = build("drift-firewall")
    ports = list_entries(state, "DomainProfile", "GloballyOpenPorts")
    assert ports["135:TCP"] == "135:TCP:*:Disabled:RA"
    assert len(ports) == 2
    programs = list_entries(state, "DomainProfile", "AuthorizedApplications")
    assert len(programs) == 2 and EN_DASH_PROGRAM in programs


def test_legacy_xp_values_use_port_protocol_names_and_hold_a_malformed_foreign_entry():
    ports = list_entries(build("legacy-xp-values"), "DomainProfile", "GloballyOpenPorts")
    assert ports["135:TCP"] == "135:TCP:*:Enabled:Offer Remote Assistance"
    assert ports["VendorTool"] == "4000:XYZ:*:Enabled:Vendor tool"


def test_localized_nb_reports_norwegian_rules_all_disabled():
    state = build("localized-nb")
    assert state.facts["ui_culture"] == "nb-NO" and state.facts["os_build"] == 22631
    ra_rules = [r for r in state.firewall_rules if r.group == RA_GROUP]
    assert ra_rules and not any(r.enabled for r in ra_rules)
    assert {r.display_group for r in ra_rules} == {"Fjernhjelp"}
    assert state.find_rule(OFFER_RULES[0]).display_name.startswith("Fjernhjelp (")


def test_server_without_the_feature_has_no_remote_assistance_rules():
    state = build("server-no-ra")
    assert state.facts["product_type"] == "server" and state.facts["os_build"] == 20348
    assert not [r for r in state.firewall_rules if r.group == RA_GROUP]
    result = engine(state, {"action": "apply", "changes": [set_rule(OFFER_RULES[0], True)]})
    assert result["error"] == "precondition"
    assert result["conflicts"] == [{"index": 0, "actual": {"present": False}}]


def test_server_2019_has_the_feature():
    state = build("server-2019")
    assert state.facts["os_version"] == "10.0.17763" and state.facts["edition"] == "ServerStandard"
    assert state.find_rule("RemoteAssistance-In-TCP-EdgeScope").profiles == ["private", "public"]


def test_accounts_resolve_on_domain_members_but_not_in_a_workgroup():
    member = build("fresh")
    workgroup = build("workgroup")
    assert member.accounts.resolve("contoso\\helpdesk") == HELPDESK_SID
    for name in (
        "CONTOSO\\Tier2 Support",
        "CONTOSO\\Domain Admins",
        "CONTOSO\\Contractors",
        "CONTOSO\\bob",
    ):
        assert member.accounts.resolve(name) is not None
    assert workgroup.accounts.resolve("CONTOSO\\Helpdesk") is None
    assert workgroup.facts["domain_joined"] is False and workgroup.facts["domain"] is None
    assert member.facts["domain"] == "contoso.com"
    assert workgroup.accounts.resolve("BUILTIN\\Administrators") == "S-1-5-32-544"


def test_machine_sids_are_stable_per_index_and_differ_between_hosts():
    assert build("fresh", 3).to_json()["accounts"] == build("fresh", 3).to_json()["accounts"]
    assert build("fresh", 3).accounts.resolve("WS003\\Administrator") != build(
        "fresh", 4
    ).accounts.resolve("WS004\\Administrator")


def test_fleet_mix_is_deterministic_varied_and_mostly_ordinary():
    assert profiles.fleet_mix(200) == profiles.fleet_mix(200)
    assert set(profiles.fleet_mix(len(profiles.PROFILES))) == set(profiles.PROFILES)
    fleet = profiles.fleet_mix(200)
    ordinary = sum(p in ("fresh", "compliant") or p.startswith("drift-") for p in fleet)
    assert ordinary >= 0.7 * len(fleet)
    assert profiles.fleet_mix(0) == []


def test_gpo_conflict_holds_the_gpo_value_and_reports_its_source():
    state = build("gpo-conflict")
    assert value(state, TS, "fAllowUnsolicited") == ("REG_DWORD", 1)
    assert value(state, TS, "fAllowUnsolicitedFullControl") == ("REG_DWORD", 0)
    read = engine(state, read_request([TS, OLE], policy_sources=True))
    sources = read["policy_sources"]
    assert sources["available"] is True
    assert sorted((v["name"], v["value"], v["gpo"]) for v in sources["settings"]) == [
        ("fAllowUnsolicited", "01000000", profiles.VIEW_ONLY_GPO),
        ("fAllowUnsolicitedFullControl", "00000000", profiles.VIEW_ONLY_GPO),
    ]
    assert {v["key"] for v in sources["settings"]} == {TS[6:]}
    unasked = engine(state, read_request([TS]))["policy_sources"]
    assert unasked == {"available": False, "reason": "not requested", "settings": []}


def test_no_other_profile_has_group_policy_values():
    assert [p for p in profiles.PROFILES if build(p).gpo_values] == ["gpo-conflict"]


def test_a_workgroup_host_reports_its_resultant_set_of_policy_too():
    # RSoP logging is on by default on every host: a workgroup host logs its local GPO.
    state = build("workgroup")
    state.gpo_values = [dict(v, gpo_id="LocalGPO") for v in build("gpo-conflict").gpo_values]
    read = engine(state, read_request([TS], policy_sources=True))
    assert read["policy_sources"]["available"] is True
    assert {v["gpo_id"] for v in read["policy_sources"]["settings"]} == {"LocalGPO"}


def test_a_twenty_host_fleet_holds_one_gpo_conflict_and_every_profile():
    assert profiles.fleet_mix(20).count("gpo-conflict") == 1
    assert set(profiles.fleet_mix(20)) == set(profiles.PROFILES)


def test_gpo_values_are_checked_when_a_saved_state_is_loaded():
    saved = build("gpo-conflict").to_json()
    saved["gpo_values"][0] = {**saved["gpo_values"][0], "data": "not a dword"}
    with pytest.raises(ValueError, match="REG_DWORD data must be"):
        HostState.from_json(saved)
