"""What crosses the wire to the host engine: request encoding and the decoding of a raw read."""

from __future__ import annotations

import base64
import json

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _engine_io as io
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import HostStateError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantRule,
    WantValue,
    make_plan,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RULE = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
GROUP = "@FirewallAPI.dll,-33002"


def raw_read(keys=(), rules=(), settings=None, available=True, document=None):
    result = {
        "changed": False,
        "contract_version": 2,
        "keys": [{"path": p, "exists": v is not None, "values": v or []} for p, v in keys],
        "accounts": [],
        "firewall_rules": list(rules),
        "policy_sources": {"available": available, "reason": None, "settings": settings or []},
    }
    document = document or io.read_document(
        [p for p, _v in keys], firewall_rules=[r["name"] for r in rules], policy_sources=True
    )
    return io.decode_read(result, document)


def row(name=RULE, source_type="Local", enabled="False", profile="Domain", source=None):
    return {"name": name, "enabled": enabled, "profile": profile, "group": GROUP,
            "display_name": "d", "display_group": "g", "source_type": source_type,
            "source": source or ("PersistentStore" if source_type == "Local" else "contoso.com\\FW")}  # fmt: skip


# ----- requests ---------------------------------------------------------------------------


def test_request_travels_as_base64_json_and_survives_unchanged():
    document = {"action": "read", "keys": ["HKLM:\\X"], "name": "2024-05-06T07:08:09Z\u00ad\0"}
    args = io.module_args(document)
    assert set(args) == {"request"}
    assert json.loads(base64.b64decode(args["request"]).decode("utf-8")) == document


def test_read_document_adds_the_keys_decoding_needs_once_and_after_the_asked_ones():
    doc = io.read_document(
        ["hklm:\\software\\microsoft\\windows nt\\currentversion\\"], [], [RULE], True
    )
    assert doc["keys"][0] == "HKLM:\\software\\microsoft\\windows nt\\currentversion"
    assert io.CURRENT_VERSION_KEY not in doc["keys"][1:]  # the same key, case-insensitively
    assert io.RSOP_LOGGING_KEY in doc["keys"]
    assert set(io.FIREWALL_POLICY_KEYS.values()) <= set(doc["keys"])
    assert io.read_document([TS])["keys"] == [TS, io.CURRENT_VERSION_KEY, io.PRODUCT_OPTIONS_KEY]


def test_read_document_carries_the_optional_fields_only_when_asked():
    plain = io.read_document([TS])
    assert "files" not in plain and "exists" not in plain
    doc = io.read_document(files=["C:\\a.pol"], exists=["%SystemRoot%\\System32\\msra.exe"])
    assert doc["files"] == ["C:\\a.pol"]
    assert doc["exists"] == ["%SystemRoot%\\System32\\msra.exe"]
    assert "files" not in io.read_document(exists=["C:\\x.exe"])


@pytest.mark.parametrize(
    ("reg_type", "data", "kind", "raw"),
    [
        ("REG_DWORD", 1, "DWord", "01000000"),
        ("REG_DWORD", 4294967295, "DWord", "ffffffff"),
        ("REG_QWORD", 2**64 - 1, "QWord", "ffffffffffffffff"),
        ("REG_BINARY", "00FF", "Binary", "00ff"),
        ("REG_MULTI_SZ", ["a", ""], "MultiString", ["a", ""]),
        ("REG_EXPAND_SZ", "%WINDIR%", "ExpandString", "%WINDIR%"),
    ],
)
def test_values_encode_and_decode_both_ways(reg_type, data, kind, raw):
    assert io.encode_data(reg_type, data) == (kind, raw)
    expected = data.lower() if reg_type == "REG_BINARY" else data
    assert io.decode_value(kind, raw) == (reg_type, expected)


@pytest.mark.parametrize(
    ("profiles", "text"),
    [(["domain"], "Domain"), (["public", "domain"], "Domain, Public"),
     (["domain", "private", "public"], "Any")],
)  # fmt: skip
def test_profiles_encode_as_the_netsecurity_enum_prints_them(profiles, text):
    assert io.encode_profiles(profiles) == text
    assert io.parse_profile(text) == sorted(profiles, key=io.PROFILE_ORDER.index)


# ----- values -----------------------------------------------------------------------------


def test_values_are_sorted_ordinally_ignoring_case_and_keep_their_raw_form():
    read = raw_read([(TS, [{"name": "_b", "kind": "String", "data": "x"},
                           {"name": "B", "kind": "DWord", "data": "02000000"},
                           {"name": "a", "kind": "String", "data": "y"}])])  # fmt: skip
    values = read["keys"][0]["values"]
    assert [v["name"] for v in values] == ["a", "B", "_b"]
    assert values[1]["type"] == "REG_DWORD" and values[1]["data"] == 2
    assert values[1]["raw"] == {"present": True, "kind": "DWord", "data": "02000000"}


def test_a_dword_of_eight_bytes_is_malformed_drift_and_its_expect_holds_the_bytes():
    read = raw_read(
        [(TS, [{"name": "fAllowUnsolicited", "kind": "DWord", "data": "0100000000000000"}])]
    )
    value = read["keys"][0]["values"][0]
    assert value["type"] == io.MALFORMED
    plan = make_plan(
        [WantValue("s", TS, "fAllowUnsolicited", "REG_DWORD", 1)], CurrentState.from_read(read)
    )
    assert plan.changes == [{
        "op": "set_value", "path": TS, "name": "fAllowUnsolicited", "kind": "DWord", "data": "01000000",
        "expect": {"present": True, "kind": "DWord", "data": "0100000000000000"},
    }]  # fmt: skip
    assert plan.drift[0]["actual"]["type"] == io.MALFORMED


def test_a_value_of_a_kind_outside_the_table_is_refused_not_overwritten():
    read = raw_read([(TS, [{"name": "v", "kind": "None", "data": ""}])])
    with pytest.raises(HostStateError, match="REG_OTHER"):
        make_plan([WantValue("s", TS, "v", "REG_SZ", "x")], CurrentState.from_read(read))


def test_facts_come_from_the_registry():
    read = raw_read([
        (io.CURRENT_VERSION_KEY, [{"name": "EditionID", "kind": "String", "data": "Core"},
                                  {"name": "CurrentBuild", "kind": "String", "data": "22631"}]),
        (io.PRODUCT_OPTIONS_KEY, [{"name": "ProductType", "kind": "String", "data": "ServerNT"}]),
    ])  # fmt: skip
    assert read["facts"] == {"edition": "Core", "product_type": "server", "os_build": 22631}
    assert raw_read()["facts"] == {"edition": None, "product_type": None, "os_build": None}


# ----- firewall rules ---------------------------------------------------------------------


def test_a_local_rule_decodes_with_its_compare_and_swap_expect():
    rule = raw_read(rules=[row(profile="Domain, Public")])["firewall_rules"][0]
    assert rule["exists"] and rule["source"] == "local" and rule["profiles"] == ["domain", "public"]
    assert rule["raw"] == {
        "present": True,
        "enabled": "False",
        "profile": "Domain, Public",
        "group": GROUP,
    }


def test_a_missing_rule_is_reported_per_requested_name():
    doc = io.read_document(firewall_rules=[RULE, "Other"])
    read = io.decode_read({"contract_version": 2, "keys": [], "firewall_rules": [row()]}, doc)
    assert [r["exists"] for r in read["firewall_rules"]] == [True, False]


def test_a_gpo_rule_wins_and_the_collection_refuses_a_local_copy():
    read = raw_read(rules=[row(), row(source_type="GroupPolicy", enabled="True")])
    rule = read["firewall_rules"][0]
    assert rule["source"] == "gpo" and rule["gpo"] == "contoso.com\\FW" and rule["enabled"] is True
    with pytest.raises(HostStateError, match="Group Policy delivers it"):
        make_plan([WantRule("r", RULE, False, ("domain",))], CurrentState.from_read(read))


def test_apply_local_rules_no_refuses_to_enable_a_local_rule_for_that_profile():
    merge = [{"name": "AllowLocalPolicyMerge", "kind": "DWord", "data": "00000000"}]
    read = raw_read([(io.FIREWALL_POLICY_KEYS["domain"], merge)], rules=[row()])
    assert read["firewall_rules"][0]["local_rules_ignored"] == ["domain"]
    with pytest.raises(HostStateError, match="Apply local firewall rules"):
        make_plan([WantRule("r", RULE, True, ("domain",))], CurrentState.from_read(read))
    # Disabling a rule that has no effect anyway is harmless: allowed.
    plan = make_plan([WantRule("r", RULE, False, ("domain",))], CurrentState.from_read(read))
    assert plan.changes == []


# ----- policy sources ---------------------------------------------------------------------


POLICY_KEY = TS[6:].upper()  # RSoP logs the key as the GPO wrote it


def setting(name, value_type, value, gpo_id="cn={X},cn=policies", key=POLICY_KEY, deleted=False):
    return {"key": key, "name": name, "value_type": str(value_type), "value": value,
            "deleted": deleted, "gpo_id": gpo_id, "gpo": "RA Baseline"}  # fmt: skip


def test_policy_rows_decode_by_type_and_source_and_drop_deletions():
    rows = [
        setting("b", 1, "59000000"),
        setting("a", 4, "01000000", gpo_id=io.LOCAL_GPO_ID),
        setting("m", 7, ("x\0y\0\0").encode("utf-16-le").hex()),
        setting("**del.gone", 1, ""),
        setting("d", 4, "01000000", deleted=True),
        setting("short", 4, "0100"),
        setting("sub", 4, "01000000", key=TS[6:] + "\\Sub"),
    ]
    sources = raw_read([(TS, [])], settings=rows)["policy_sources"]
    assert sources["status"] == "ok"
    assert [(v["name"], v["type"], v["data"], v["source"]) for v in sources["values"]] == [
        ("a", "REG_DWORD", 1, "local"),
        ("b", "REG_SZ", "Y", "domain"),
        ("m", "REG_MULTI_SZ", ["x", "y"], "domain"),
    ]
    assert all(v["path"] == TS for v in sources["values"])


def test_rsop_logging_off_is_unknown_not_no_gpo():
    off = [{"name": "RSoPLogging", "kind": "DWord", "data": "00000000"}]
    sources = raw_read([(TS, []), (io.RSOP_LOGGING_KEY, off)])["policy_sources"]
    assert sources == {"available": False, "status": "logging_off", "values": []}


def test_rsop_unavailable_and_not_requested_are_told_apart():
    assert raw_read([(TS, [])], available=False)["policy_sources"]["status"] == "unavailable"
    result = {
        "contract_version": 2,
        "keys": [],
        "policy_sources": {"available": False, "reason": "not requested"},
    }
    assert io.decode_read(result, io.read_document())["policy_sources"]["status"] == "not_requested"


def test_typed_change_shows_a_change_in_the_collections_form():
    change = {"op": "set_rule", "name": RULE, "enabled": True, "profile": "Any",
              "expect": {"present": True, "enabled": "False", "profile": "Domain", "group": GROUP}}  # fmt: skip
    assert io.typed_change(change) == {
        "op": "set_rule", "name": RULE, "enabled": True,
        "profiles": ["domain", "private", "public"],
        "expect": {"enabled": False, "profiles": ["domain"]},
    }  # fmt: skip
