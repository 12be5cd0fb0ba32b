"""The fleet report's pure decisions: host classification, counts, Markdown."""

from __future__ import annotations

import json

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    NO_RESULT_MSG,
    STATUS_MEANING,
    STATUSES,
    fleet_document,
    fleet_records,
    format_gpo_conflict,
    format_value,
    host_record,
    host_summary,
    render_markdown,
    summarize,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._gpo import (
    conflict_warning,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"


def ok(drift=(), **extra):
    return {"changed": bool(drift), "drift": list(drift), "engine_runs": 1, **extra}


def item(setting, name, expected, actual, path=TS):
    return {"setting": setting, "path": path, "name": name, "expected": expected, "actual": actual}


PERMISSION = item(
    "permission",
    "fAllowUnsolicitedFullControl",
    {"type": "REG_DWORD", "data": 1},
    {"type": "REG_DWORD", "data": 0},
)
DCOM = item("dcom", "EnableDCOM", {"type": "REG_SZ", "data": "Y"}, None, path=OLE)


def test_clean_host_is_compliant():
    record = host_record("ws1", {"policy": ok(), "firewall": ok()})
    assert record == {
        "host": "ws1",
        "status": "compliant",
        "msg": None,
        "drift": [],
        "warnings": [],
        "gpo_conflicts": [],
        "functional_problems": [],
        "engine_runs": {"win_offer_ra": 1, "win_ra_firewall": 1},
    }


def test_drift_items_of_both_modules_are_kept_and_tagged():
    fw = item(
        "firewall_ports",
        "135:TCP",
        {"type": "REG_SZ", "data": "135:TCP:*:Enabled:Offer Remote Assistance"},
        None,
    )
    record = host_record("ws1", {"policy": ok([PERMISSION, DCOM]), "firewall": ok([fw])})
    assert record["status"] == "drifted"
    assert [(d["module"], d["setting"]) for d in record["drift"]] == [
        ("win_offer_ra", "permission"),
        ("win_offer_ra", "dcom"),
        ("win_ra_firewall", "firewall_ports"),
    ]


def test_rescued_failure_names_task_and_message_and_drops_partial_drift():
    record = host_record(
        "ws1",
        {
            "policy": ok([PERMISSION]),
            "firewall": {"failed": True, "msg": "Failed to enable rule", "drift": [DCOM]},
            "failure": {"msg": "Failed to enable rule", "task": "Firewall", "unreachable": False},
        },
    )
    assert record["status"] == "failed"
    assert record["msg"] == "Firewall: Failed to enable rule"
    assert record["drift"] == []


def test_failed_result_without_rescue_record_is_failed():
    record = host_record("ws1", {"policy": {"failed": True, "msg": "Helper 'X\\y' unknown"}})
    assert (record["status"], record["msg"]) == ("failed", "Helper 'X\\y' unknown")


def test_unreachable_result_is_unreachable_with_its_message():
    gone = {"unreachable": True, "msg": "connection refused", "changed": False}
    record = host_record("ws1", {"policy": gone, "firewall": gone})
    assert (record["status"], record["msg"]) == ("unreachable", "connection refused")


def test_unreachable_failure_record_is_unreachable():
    record = host_record("ws1", {"failure": {"msg": "timed out", "unreachable": True}})
    assert (record["status"], record["msg"]) == ("unreachable", "timed out")


def test_no_input_at_all_is_unreachable_not_missing():
    for audit in (None, {}, {"policy": None, "firewall": None, "failure": None}):
        record = host_record("ws1", audit)
        assert (record["status"], record["msg"]) == ("unreachable", NO_RESULT_MSG)


def test_skipped_firewall_task_does_not_hide_a_clean_policy():
    record = host_record("ws1", {"policy": ok(), "firewall": {"skipped": True, "changed": False}})
    assert record["status"] == "compliant"


def test_only_skipped_results_count_as_not_run():
    record = host_record("ws1", {"policy": {"skipped": True}, "firewall": {"skipped": True}})
    assert record["status"] == "unreachable"


def test_warnings_are_collected():
    record = host_record("ws1", {"policy": ok(warnings=["malformed entry 'x' left in place"])})
    assert record["warnings"] == ["malformed entry 'x' left in place"]


def test_records_cover_every_listed_host_then_extra_hosts():
    results = {"b": {"policy": ok()}, "z": {"policy": ok()}, "a": {"policy": ok()}}
    records = fleet_records(results, hosts=["b", "a", "c"])
    assert [(r["host"], r["status"]) for r in records] == [
        ("b", "compliant"),
        ("a", "compliant"),
        ("c", "unreachable"),
        ("z", "compliant"),
    ]


def test_summary_counts_hosts_per_status_and_per_setting():
    second_permission = dict(PERMISSION, name="fAllowUnsolicited")
    records = fleet_records(
        {
            "a": {"policy": ok([PERMISSION, second_permission, DCOM])},
            "b": {"policy": ok([PERMISSION])},
            "c": {"policy": ok()},
            "d": {"failure": {"msg": "boom"}},
        },
        hosts=["a", "b", "c", "d", "e"],
    )
    summary = summarize(records)
    assert summary == {
        "hosts": 5,
        "failed": 1,
        "unreachable": 1,
        "not_functional": 0,
        "conflict": 0,
        "drifted": 2,
        "compliant": 1,
        "audited": 3,
        "settings": {
            "permission": {"hosts": 2, "values": 3},
            "dcom": {"hosts": 1, "values": 1},
        },
        "gpo_conflicts": {"hosts": 0, "values": 0},
    }
    # Known settings come in the documented order, unknown ones after them.
    odd = fleet_records({"a": {"policy": ok([dict(DCOM, setting="zeta"), PERMISSION])}})
    assert list(summarize(odd)["settings"]) == ["permission", "zeta"]


def test_document_is_json_serialisable_and_versioned():
    document = fleet_document(
        {"a": {"policy": ok([PERMISSION])}}, hosts=["a"], generated_at="2024-01-01T00:00:00Z"
    )
    again = json.loads(json.dumps(document))
    assert again["report_version"] == 2
    assert again["generated_at"] == "2024-01-01T00:00:00Z"
    assert again["mode"] == "check"
    assert again["hosts"][0]["drift"][0]["module"] == "win_offer_ra"


def test_format_value_covers_registry_rules_and_absent():
    assert format_value(None) == "(absent)"
    assert format_value({"type": "REG_SZ", "data": "Y"}) == "REG_SZ:Y"
    assert format_value({"enabled": True, "profiles": ["domain"]}) == "enabled (domain)"
    assert format_value({"enabled": False, "profiles": []}) == "disabled (no profile)"


def test_markdown_lists_totals_settings_and_every_host_worst_first():
    document = fleet_document(
        {
            "good": {"policy": ok(), "firewall": ok()},
            "drifty": {"policy": ok([PERMISSION])},
            "broken": {"failure": {"msg": "Helper 'CONTOSO\\Ghost' does not resolve"}},
        },
        hosts=["good", "drifty", "broken", "gone"],
    )
    text = render_markdown(document)
    assert (
        "4 hosts: 1 failed, 1 unreachable, 0 not_functional, 0 conflict, 1 drifted, "
        "1 compliant." in text
    )
    assert "| permission | 1 | 1 |" in text
    hosts_section = text.split("## Hosts")[1].split("## Drift details")[0]
    host_rows = [line.split(" | ")[0][2:] for line in hosts_section.splitlines()[4:] if line]
    assert host_rows == ["broken", "gone", "drifty", "good"]
    assert "| drifty | drifted | permission |" in text
    details = text.split("## Drift details")[1]
    assert "### drifty" in details and "### good" not in details
    assert "fAllowUnsolicitedFullControl is REG_DWORD:0, expected REG_DWORD:1" in details, (
        "drift items name the value, what it is and what it should be"
    )
    assert "Helper 'CONTOSO\\Ghost' does not resolve" in text
    assert NO_RESULT_MSG in text


def test_markdown_escapes_pipes_and_newlines_inside_cells():
    document = fleet_document({"a": {"failure": {"msg": "line one\nhas | pipe"}}}, hosts=["a"])
    text = render_markdown(document)
    assert "line one<br>has \\| pipe" in text


def test_markdown_says_so_when_nothing_drifts():
    text = render_markdown(fleet_document({"a": {"policy": ok()}}, hosts=["a"]))
    assert "No drift on any host that could be checked." in text


def test_host_summary_counts_values_per_setting():
    record = host_record("a", {"policy": ok([PERMISSION, dict(PERMISSION, name="x"), DCOM])})
    assert host_summary(record) == "permission (2 values), dcom"
    assert host_summary(host_record("b", {"policy": ok()})) == "-"


GPO = "RA Baseline (view only)"
CONFLICT = {
    "setting": "permission",
    "path": TS,
    "name": "fAllowUnsolicitedFullControl",
    "gpo": GPO,
    "gpo_value": {"type": "REG_DWORD", "data": 0},
    "expected": {"type": "REG_DWORD", "data": 1},
}


def conflicted(drift=()):
    """A win_offer_ra result as the action plugin gives it: the conflict and its warning."""
    return ok(drift, gpo_conflicts=[CONFLICT], warnings=[conflict_warning(CONFLICT), "other"])


def test_gpo_conflicts_are_kept_tagged_and_not_repeated_as_warnings():
    record = host_record("ws1", {"policy": conflicted([PERMISSION]), "firewall": ok()})
    assert record["status"] == "conflict"
    assert record["drift"] == [dict(PERMISSION, module="win_offer_ra")]
    assert record["gpo_conflicts"] == [dict(CONFLICT, module="win_offer_ra")]
    assert record["warnings"] == ["other"]


def test_a_host_without_drift_but_with_a_conflict_is_conflict_not_compliant():
    # Converged after the last Group Policy refresh: the GPO wins again at the next one.
    record = host_record("ws1", {"policy": conflicted(), "firewall": ok()})
    assert record["status"] == "conflict" and len(record["gpo_conflicts"]) == 1
    assert f"'{GPO}'" in host_summary(record), "the conflict names the GPO"


def test_functional_problems_make_a_host_not_functional_even_when_the_policy_is_right():
    problems = ["msra.exe is missing", "Remote Assistance feature is not installed"]
    record = host_record(
        "srv1",
        {
            "policy": ok(functional_problems=problems[:1]),
            "firewall": ok(functional_problems=problems),
        },
    )
    assert record["status"] == "not_functional"
    assert record["functional_problems"] == problems, "each problem once, in order"
    assert host_summary(record).splitlines() == [f"not functional: {p}" for p in problems]


def test_functional_problems_given_once_for_the_host_count_too():
    record = host_record(
        "srv1",
        {"policy": ok(), "firewall": ok(), "functional_problems": ["msra.exe is missing"]},
    )
    assert record["status"] == "not_functional"
    assert record["functional_problems"] == ["msra.exe is missing"]


def test_an_empty_functional_problems_list_changes_nothing():
    record = host_record("ws1", {"policy": ok(functional_problems=[]), "firewall": ok()})
    assert record["status"] == "compliant"


def test_status_precedence_could_not_look_then_not_functional_conflict_drift():
    broken = {"failed": True, "msg": "access denied", "functional_problems": ["x"]}
    assert host_record("a", {"policy": broken})["status"] == "failed"
    both = ok([PERMISSION], functional_problems=["x"], gpo_conflicts=[CONFLICT])
    assert host_record("a", {"policy": both})["status"] == "not_functional"
    assert host_record("a", {"policy": conflicted([PERMISSION])})["status"] == "conflict"


def test_summary_counts_new_statuses_and_audited_hosts():
    records = fleet_records(
        {
            "a": {"policy": ok(functional_problems=["msra.exe is missing"])},
            "b": {"policy": conflicted()},
            "c": {"policy": ok([PERMISSION])},
            "d": {"policy": ok()},
            "e": {"failure": {"msg": "boom"}},
        },
        hosts=["a", "b", "c", "d", "e", "f"],
    )
    summary = summarize(records)
    counts = {status: summary[status] for status in STATUSES}
    assert counts == {
        "failed": 1,
        "unreachable": 1,
        "not_functional": 1,
        "conflict": 1,
        "drifted": 1,
        "compliant": 1,
    }
    assert summary["audited"] == 4


def test_markdown_explains_every_status():
    text = render_markdown(fleet_document({"a": {"policy": ok()}}, hosts=["a"]))
    section = text.split("## Statuses")[1]
    for status in STATUSES:
        assert f"| {status} | {STATUS_MEANING[status]} |" in section


def test_summary_counts_hosts_and_values_with_conflicts():
    records = fleet_records(
        {"a": {"policy": conflicted([PERMISSION])}, "b": {"policy": conflicted()}, "c": {}},
        hosts=["a", "b", "c"],
    )
    assert summarize(records)["gpo_conflicts"] == {"hosts": 2, "values": 2}


def test_format_gpo_conflict_names_value_gpo_and_both_values():
    assert format_gpo_conflict(CONFLICT) == (
        f"permission: {TS}\\fAllowUnsolicitedFullControl is set to REG_DWORD:0 by the GPO "
        f"'{GPO}', expected REG_DWORD:1"
    )
    assert "expected (absent)" in format_gpo_conflict(dict(CONFLICT, expected=None))


def test_markdown_has_a_group_policy_conflicts_section_with_its_count():
    document = fleet_document(
        {"a": {"policy": conflicted([PERMISSION])}, "b": {"policy": ok()}}, hosts=["a", "b"]
    )
    text = render_markdown(document)
    section = text.split("## Group Policy conflicts")[1].split("## Hosts")[0]
    assert "1 value(s) on 1 host(s)" in section and "every refresh" in section
    assert f"| a | {format_gpo_conflict(CONFLICT)} |" in section
    assert "gpo conflict: permission" in host_summary(document["hosts"][0])
    quiet = render_markdown(fleet_document({"a": {"policy": ok()}}, hosts=["a"]))
    assert "No Group Policy conflict on any host that could be checked." in quiet
