"""The control API: every endpoint, and the counters it reports."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from _lab_helpers import (
    engine_args,
    engine_read,
    engine_set_dword,
    engine_value,
    protocol,
    run_module,
)

from winra_lab.client import ControlCallError
from winra_lab.lab import Lab

pytestmark = pytest.mark.lab
ENGINE = "winra.remote_assistance.win_ra_state"
POLICY = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
VALUE = {"path": POLICY, "name": "fAllowUnsolicited", "type": "REG_DWORD", "data": 1}


@pytest.fixture
def lab(tmp_path):
    with Lab(hosts=2, profile="fresh", state_dir=tmp_path / "state") as running:
        yield running


def _engine_value(lab, host):
    result, _ = run_module(protocol(lab, host), ENGINE, engine_read([POLICY]))
    return engine_value(result, VALUE["name"])


def test_health_and_host_list(lab):
    assert lab.control("GET", "/health") == {"ok": True, "hosts": 2}
    hosts = lab.control("GET", "/hosts")
    assert [h["name"] for h in hosts] == ["ws001.contoso.test", "ws002.contoso.test"]
    assert hosts[0]["endpoint"] == lab.host("ws001").endpoint and hosts[0]["profile"] == "fresh"


def test_dump_holds_state_counters_and_address(lab):
    dump = lab.control("GET", "/hosts/ws001.contoso.test")
    assert dump["address"] == lab.host("ws001").address
    assert dump["state"]["hostname"] == "WS001"
    assert "registry" in dump["state"] and "requests" in dump["counters"]


def test_seeded_drift_is_what_the_engine_reads_and_is_not_a_module_write(lab):
    lab.control("PUT", "/hosts/ws001/registry", VALUE)
    assert (
        lab.control(
            "GET",
            "/hosts/ws001/registry?" + urlencode({"path": POLICY, "name": "fAllowUnsolicited"}),
        )["data"]
        == 1
    )
    assert _engine_value(lab, "ws001") == {"name": "fAllowUnsolicited", "kind": "DWord", "data": 1}
    assert _engine_value(lab, "ws002") is None  # the other host is untouched
    assert lab.control("GET", "/hosts/ws001/counters")["registry_writes"] == 0
    lab.control("DELETE", "/hosts/ws001/registry", {"path": POLICY, "name": "fAllowUnsolicited"})
    assert _engine_value(lab, "ws001") is None


def test_registry_ops_in_one_post(lab):
    ops = [
        {"op": "set", **VALUE},
        {"op": "set", **VALUE, "name": "Other", "data": 5},
        {"op": "delete", "path": POLICY, "name": "Other"},
    ]
    assert lab.control("POST", "/hosts/ws001/registry", {"ops": ops}) == {"applied": 3}
    assert lab.control(
        "GET", "/hosts/ws001/registry?" + urlencode({"path": POLICY, "name": "Other"})
    ) == {"path": POLICY, "name": "Other", "present": False}


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/hosts/ws999", None, 404),
        ("GET", "/nothing", None, 404),
        ("PUT", "/hosts/ws001/registry", {**VALUE, "type": "REG_NOPE"}, 400),
        ("POST", "/hosts/ws001/registry", {"op": "set", "path": POLICY}, 400),
        ("GET", "/hosts/ws001/registry", None, 400),
        (
            "POST",
            "/hosts/ws001/faults",
            {
                "change_before_apply": [
                    {
                        "op": "set_rule",
                        "name": "No-Such-Rule",
                        "enabled": True,
                        "profiles": ["domain"],
                    }
                ]
            },
            400,
        ),
    ],
)
def test_bad_requests_are_answered_with_errors(lab, method, path, body, status):
    with pytest.raises(ControlCallError) as caught:
        lab.control(method, path, body)
    assert caught.value.status == status and "error" in caught.value.payload


def test_counters_count_each_kind_and_reset(lab):
    proto = protocol(lab, "ws001")
    run_module(proto, ENGINE, engine_read())
    run_module(proto, ENGINE, engine_read(), check_mode=True)
    result, code = run_module(proto, ENGINE, engine_set_dword(POLICY, VALUE["name"], 1))
    assert code == 0, result
    counters = lab.control("GET", "/hosts/ws001/counters")
    assert counters["module_runs"] == {ENGINE: 2}
    assert counters["check_mode_runs"] == {ENGINE: 1}
    assert counters["shells"] == counters["commands"] == 3
    assert counters["connections"] >= 1 and counters["requests"] >= 18
    assert counters["bytes_in"] > 0 and counters["bytes_out"] > 0
    assert counters["registry_writes"] >= 1
    assert lab.control("GET", "/counters")["ws002.contoso.test"]["requests"] == 0

    lab.control("DELETE", "/hosts/ws001/counters")
    after = lab.control("GET", "/hosts/ws001/counters")
    assert after["requests"] == 0 and after["module_runs"] == {} and after["registry_writes"] == 0
    lab.control("DELETE", "/counters")


def test_reset_reseeds_from_the_profile(lab):
    lab.control("PUT", "/hosts/ws001/registry", VALUE)
    lab.control("POST", "/hosts/ws001/faults", {"http_500_on": "any"})
    assert lab.control("POST", "/hosts/ws001/reset") == {"reset": "ws001.contoso.test"}
    assert _engine_value(lab, "ws001") is None
    assert lab.control("GET", "/hosts/ws001/counters")["module_runs"] == {ENGINE: 1}
    assert lab.control("POST", "/reset") == {"reset": 2}


def test_saved_state_survives_a_restart(lab, tmp_path):
    lab.control("PUT", "/hosts/ws002/registry", VALUE)
    assert lab.control("POST", "/save")["saved"] == 2
    with Lab(hosts=2, profile="fresh", state_dir=tmp_path / "state") as again:
        assert _engine_value(again, "ws002")["data"] == 1
        assert _engine_value(again, "ws001") is None


def test_save_without_state_dir_is_a_conflict():
    with Lab(hosts=1) as lab, pytest.raises(ControlCallError) as caught:
        lab.control("POST", "/save")
    assert caught.value.status == 409


def test_binary_values_travel_as_hex_both_ways(lab):
    binary = {"path": POLICY, "name": "Blob", "type": "REG_BINARY", "data": "00ff10"}
    lab.control("PUT", "/hosts/ws001/registry", binary)
    got = lab.control("GET", "/hosts/ws001/registry?" + urlencode({"path": POLICY, "name": "Blob"}))
    assert got["type"] == "REG_BINARY" and got["data"] == "00ff10"


def test_gp_refresh_writes_the_gpo_values_again_as_someone_else():
    with Lab(hosts=1, profile="gpo-conflict") as lab:
        name = "fAllowUnsolicitedFullControl"
        lab.control("PUT", "/hosts/ws001/registry", {**VALUE, "name": name})  # a converge's 1
        assert _engine_value_named(lab, name)["data"] == 1
        answer = lab.control("POST", "/hosts/ws001/gp-refresh")
        # The profile holds the standard in Local Group Policy too; the domain GPO's values
        # are applied after it, so they win.
        assert answer["refreshed"] == "ws001.contoso.test" and answer["applied"] == 2
        assert answer["local_policy"]["local_policy"] == "applied"
        assert _engine_value_named(lab, name)["data"] == 0
        assert lab.control("GET", "/hosts/ws001/counters")["registry_writes"] == 0


def test_gp_refresh_without_gpo_values_writes_nothing(lab):
    before = lab.control("GET", "/hosts/ws001")["state"]["registry"]
    assert lab.control("POST", "/hosts/ws001/gp-refresh")["applied"] == 0
    assert lab.control("GET", "/hosts/ws001")["state"]["registry"] == before


def _engine_value_named(lab, name):
    result, _ = run_module(protocol(lab, "ws001"), ENGINE, engine_read([POLICY]))
    return engine_value(result, name)


def test_engine_faults_of_contract_2_are_set_through_the_control_api(lab):
    lab.control(
        "POST", "/hosts/ws001/faults", {"firewall_unavailable": True, "lsa_unavailable": True}
    )
    host = lab.control("GET", "/hosts/ws001/faults")["host"]
    assert host["firewall_unavailable"] is True and host["lsa_unavailable"] is True
    args = engine_args({"action": "read", "keys": [], "accounts": ["CONTOSO\\Helpdesk"],
                        "firewall_rules": [], "policy_sources": False})  # fmt: skip
    result, code = run_module(protocol(lab, "ws001"), ENGINE, args)
    assert code == 1 and result["error"] == "query_failed"
    with pytest.raises(ControlCallError) as caught:
        lab.control("POST", "/hosts/ws001/faults", {"change_before_rollback": [
            {"op": "set_rule", "name": "NoSuchRule", "enabled": True, "profiles": ["domain"]}]})  # fmt: skip
    assert caught.value.status == 400
    lab.control("DELETE", "/hosts/ws001/faults")
    assert run_module(protocol(lab, "ws001"), ENGINE, args)[1] == 0
