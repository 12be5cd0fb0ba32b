"""policy_store local_gpo on the controller: the files in the one read, the one Registry.pol of
every part, gpt.ini only when it changes, the audit rows, and the registry store unchanged."""

from __future__ import annotations

import base64
import hashlib

import pytest

from ansible_collections.winra.remote_assistance.plugins.action.win_offer_ra import (
    ActionModule as OfferAction,
)
from ansible_collections.winra.remote_assistance.plugins.action.win_remote_assistance import (
    ActionModule as CompositeAction,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (
    _gpt_ini,
    _local_gpo,
    _preg,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    host_record,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._local_gpo_part import (
    FILES,
)

# The engine echoes each path as it was asked (docs/engine-contract.md, "Files").
POL, INI = FILES
TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
RAU = TS + "\\RAUnsolicit"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
DESK = "CONTOSO\\Helpdesk"
OTHER = _preg.value_record("Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU",
                           "NoAutoUpdate", "REG_DWORD", 0)  # fmt: skip
CDM = _preg.value_record(_local_gpo.TERMINAL_SERVICES, "fDisableCdm", "REG_DWORD", 1)
INI_BYTES = b"[General]\r\ngPCMachineExtensionNames=\r\nVersion=65539\r\n"
LIVE_OK = {
    TS: [("fAllowUnsolicited", "REG_DWORD", 1), ("fAllowUnsolicitedFullControl", "REG_DWORD", 0)],
    RAU: [(DESK, "REG_SZ", DESK)],
    OLE: [("EnableDCOM", "REG_SZ", "Y")],
}
OFFER_RECORDS = _local_gpo.offer_records(_local_gpo.OfferPolicy("enabled", False, (DESK,)))


def file_json(path, data):
    if data is None:
        return {"path": path, "exists": False, "size": 0, "sha256": None, "data": None}
    return {"path": path, "exists": True, "size": len(data),
            "sha256": hashlib.sha256(data).hexdigest(), "data": base64.b64encode(data).decode()}  # fmt: skip


def with_files(read, pol, ini=INI_BYTES):
    return {**read, "files": [file_json(POL, pol), file_json(INI, ini)]}


def applied_files(engine):
    apply = [c for c in engine.calls if c["module_args"]["action"] == "apply"]
    if not apply:
        return [], []
    changes = apply[0]["module_args"]["changes"]
    files = [c for c in changes if c["op"] == "replace_file"]
    return files, [c for c in changes if c["op"] != "replace_file"]


def run_offer(run_action, fake_engine, read, **kwargs):
    engine = fake_engine(read, {"changed": True, "contract_version": 1, "applied": 1})
    result = run_action(OfferAction, {"helpers": [DESK], **kwargs.pop("args", {})}, engine,
                        policy_store="local_gpo", **kwargs)  # fmt: skip
    return result, engine


def test_the_files_are_read_in_the_same_read(run_action, fake_engine, make_read):
    pol = _preg.write([OTHER, *OFFER_RECORDS])
    result, engine = run_offer(run_action, fake_engine, with_files(make_read(LIVE_OK), pol))
    assert engine.actions == ["read"], result
    # Both policy files, beside what the offer part reads to tell whether Offer RA can work.
    assert set(FILES) <= set(engine.calls[0]["module_args"]["files"])
    assert result["changed"] is False and result["local_policy"]["changes"] == []
    rows = {
        (row["setting"], row["name"]): row["status"] for row in result["local_policy"]["values"]
    }
    assert rows == {("offer_policy", "fAllowUnsolicited"): "agrees",
                    ("permission", "fAllowUnsolicitedFullControl"): "agrees",
                    ("helpers", DESK): "agrees"}  # fmt: skip


def test_files_go_first_and_keep_other_records_byte_for_byte(run_action, fake_engine, make_read):
    before = _preg.write([OTHER, CDM])
    result, engine = run_offer(run_action, fake_engine, with_files(make_read(LIVE_OK), before))
    files, values = applied_files(engine)
    assert result["changed"] and values == [], "the live values already agree"
    assert [f["path"] for f in files] == [POL, INI]
    assert files[0]["expect"] == {"present": True, "sha256": hashlib.sha256(before).hexdigest()}
    new_pol = base64.b64decode(files[0]["data"])
    assert new_pol.startswith(before), "others' records stay first, unchanged"
    assert _preg.parse(new_pol).records[2:] == OFFER_RECORDS
    new_ini = base64.b64decode(files[1]["data"])
    assert _gpt_ini.version_of(new_ini) == 65540 and _gpt_ini.has_registry_extension(new_ini)


def test_live_changes_follow_the_files_in_the_same_apply(run_action, fake_engine, make_read):
    read = make_read({TS: [], RAU: [], OLE: [("EnableDCOM", "REG_SZ", "Y")]})
    result, engine = run_offer(run_action, fake_engine, with_files(read, None, None))
    files, values = applied_files(engine)
    assert engine.actions == ["read", "apply"]
    assert [f["expect"] for f in files] == [{"present": False}, {"present": False}]
    assert {v["name"] for v in values} == {
        "fAllowUnsolicited",
        "fAllowUnsolicitedFullControl",
        DESK,
    }
    assert [c["action"] for c in result["local_policy"]["changes"]] == ["add"] * 4


def test_check_mode_plans_and_never_applies(run_action, fake_engine, make_read):
    read = with_files(make_read(LIVE_OK), None, None)
    result, engine = run_offer(run_action, fake_engine, read, check_mode=True)
    assert engine.actions == ["read"] and result["changed"]


def test_live_values_right_but_no_policy_records_is_drift(run_action, fake_engine, make_read):
    # The host holds the standard's live values, its Local Group Policy does not: a converge
    # writes the file, so an audit must not call the host compliant.
    read = with_files(make_read(LIVE_OK), _preg.write([OTHER]))
    result = run_offer(run_action, fake_engine, read, check_mode=True)[0]
    items = [d for d in result["drift"] if d["setting"] == "local_group_policy"]
    assert {(d["path"], d["name"]) for d in items} == {
        (POL, f"{_local_gpo.TERMINAL_SERVICES}\\fAllowUnsolicited"),
        (POL, f"{_local_gpo.TERMINAL_SERVICES}\\fAllowUnsolicitedFullControl"),
        (POL, f"{_local_gpo.RA_UNSOLICIT}\\**delvals."),
        (POL, f"{_local_gpo.RA_UNSOLICIT}\\{DESK}"),
    }
    assert all(d["actual"] is None and d["expected"]["type"] for d in items)
    assert len(items) == len(result["drift"]), "the live values are not drift"
    # The same host with our records in the file: no drift at all.
    read = with_files(make_read(LIVE_OK), _preg.write([OTHER, *OFFER_RECORDS]))
    result = run_offer(run_action, fake_engine, read, check_mode=True)[0]
    assert result["drift"] == [] and result["changed"] is False


def test_a_file_that_does_not_parse_fails_naming_host_file_and_offset(
    run_action, fake_engine, make_read
):
    torn = _preg.write([OTHER])[:-3]
    result, engine = run_offer(run_action, fake_engine, with_files(make_read(LIVE_OK), torn))
    assert result["failed"] and engine.actions == ["read"]
    assert (
        POL in result["msg"]
        and "byte offset" in result["msg"]
        and "nothing was written" in result["msg"]
    )


def test_absent_removes_only_our_records(run_action, fake_engine, make_read):
    pol = _preg.write([OTHER, *OFFER_RECORDS, CDM])
    read = with_files(make_read(LIVE_OK), pol)
    _result, engine = run_offer(run_action, fake_engine, read, args={"state": "absent"})
    files, _values = applied_files(engine)
    assert base64.b64decode(files[0]["data"]) == _preg.write([OTHER, CDM])


def test_a_live_value_changed_outside_policy_differs(run_action, fake_engine, make_read):
    pol = _preg.write(OFFER_RECORDS)
    live = {
        **LIVE_OK,
        TS: [
            ("fAllowUnsolicited", "REG_DWORD", 0),
            ("fAllowUnsolicitedFullControl", "REG_DWORD", 0),
        ],
    }
    result, _engine = run_offer(
        run_action, fake_engine, with_files(make_read(live), pol), check_mode=True
    )
    rows = [r for r in result["local_policy"]["values"] if r["status"] == "differs"]
    assert [(r["name"], r["policy"]["data"], r["live"]["data"]) for r in rows] == [
        ("fAllowUnsolicited", 1, 0)
    ]
    assert result["local_policy"]["differs"] == 1 and result["local_policy"]["changes"] == []
    record = host_record("ws1", {"policy": result})
    assert [r["module"] for r in record["local_policy"]["values"] if r["status"] == "differs"] == [
        "win_offer_ra"
    ]


def test_the_registry_store_reads_no_file(run_action, fake_engine, make_read):
    engine = fake_engine(make_read(LIVE_OK))
    result = run_action(OfferAction, {"helpers": [DESK]}, engine, policy_store="registry")
    # No policy file (the offer part may still look for msra.exe, to tell whether RA works).
    assert not set(FILES) & set(engine.calls[0]["module_args"].get("files", []))
    assert result["local_policy"] is None


@pytest.mark.parametrize("fw_store", ["local_gpo", "registry"])
def test_the_composite_writes_one_registry_pol_for_both_parts(
    run_action, fake_engine, make_read, fw_store
):
    read = with_files(make_read(LIVE_OK), None, None)
    engine = fake_engine(read, {"changed": True, "contract_version": 1, "applied": 1})
    args = {"offer": {"helpers": [DESK]},
            "firewall": {"preset": "legacy", "profiles": ["domain"], "policy_store": fw_store}}  # fmt: skip
    result = run_action(CompositeAction, args, engine, check_mode=False, policy_store="local_gpo")
    files, _values = applied_files(engine)
    assert [f["path"] for f in files] == [POL, INI]
    records = _preg.parse(base64.b64decode(files[0]["data"])).records
    list_records = [r for r in records if r.key.endswith("\\List")]
    assert bool(list_records) == (fw_store == "local_gpo")
    assert (result["firewall"]["local_policy"] is None) == (fw_store == "registry")
    assert (
        result["local_policy"]["changes"][: len(OFFER_RECORDS)]
        == result["offer"]["local_policy"]["changes"]
    )


def test_an_engine_without_file_primitives_fails_saying_what_to_do(run_action, fake_engine):
    refused = {"failed": True, "msg": "Unsupported parameters for (win_ra_state) module: files."}
    engine = fake_engine(refused)
    result = run_action(OfferAction, {"helpers": [DESK]}, engine, policy_store="local_gpo")
    assert result["failed"] and engine.actions == ["read"]
    assert "set policy_store to registry" in result["msg"]


FOREIGN_PORT = "3389:TCP:*:Enabled:Remote Desktop"


def run_firewall(run_action, fake_engine, make_read, pol, **args):
    from ansible_collections.winra.remote_assistance.plugins.action.win_ra_firewall import (
        ActionModule as FirewallAction,
    )

    engine = fake_engine(with_files(make_read(), pol), {"changed": True, "contract_version": 1})
    args = {"preset": "legacy", "profiles": ["domain"], **args}
    result = run_action(FirewallAction, args, engine, policy_store="local_gpo")
    files, _values = applied_files(engine)
    return result, _preg.parse(base64.b64decode(files[0]["data"])).records if files else None


@pytest.mark.parametrize("exclusive", [False, True])
def test_exclusive_also_removes_foreign_list_records(run_action, fake_engine, make_read, exclusive):
    port_list = _local_gpo.list_key("domain", "port")
    foreign = _preg.value_record(port_list, FOREIGN_PORT, "REG_SZ", FOREIGN_PORT)
    result, records = run_firewall(
        run_action, fake_engine, make_read, _preg.write([foreign]), exclusive=exclusive
    )
    assert (foreign in records) is not exclusive
    assert any(r.key == port_list and r.value.startswith("135:TCP") for r in records)
    removed = [c for c in result["local_policy"]["changes"] if c["action"] == "remove"]
    assert [c["value"] for c in removed] == ([FOREIGN_PORT] if exclusive else [])


def test_the_rules_backend_reads_no_file(run_action, fake_engine, make_read):
    from ansible_collections.winra.remote_assistance.plugins.action.win_ra_firewall import (
        ActionModule as FirewallAction,
    )

    engine = fake_engine(make_read(firewall_rules=[]))
    run_action(FirewallAction, {"backend": "rules"}, engine, policy_store="local_gpo")
    assert "files" not in engine.calls[0]["module_args"]
