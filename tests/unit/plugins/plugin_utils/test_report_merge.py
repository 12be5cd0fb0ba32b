"""Merging fleet reports: newest result wins and is flagged, missing hosts and failed slices
are flagged, and the output does not depend on the order of the inputs."""

from __future__ import annotations

import itertools
import json

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    fleet_document,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_merge import (
    MISSING_MSG,
    MergeError,
    merge_documents,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
DRIFT = {
    "setting": "permission",
    "path": TS,
    "name": "fAllowUnsolicitedFullControl",
    "expected": {"type": "REG_DWORD", "data": 1},
    "actual": {"type": "REG_DWORD", "data": 0},
}


def clean():
    return {"policy": {"changed": False, "drift": []}, "firewall": {"changed": False, "drift": []}}


def drifted():
    return {"policy": {"changed": True, "drift": [DRIFT]}}


def slice_report(results, at):
    return fleet_document(results, hosts=list(results), generated_at=at)


SLICE_1 = slice_report({"ws1": clean(), "ws2": drifted()}, "2026-03-01T10:00:00Z")
SLICE_2 = slice_report(
    {"ws3": clean(), "ws4": {"failure": {"msg": "boom"}}}, "2026-03-01T10:05:00Z"
)
# A later run over ws2 alone, after it was converged.
RERUN = slice_report({"ws2": clean()}, "2026-03-01T11:00:00Z")


def entries(*pairs):
    return [{"source": name, "report": report} for name, report in pairs]


def test_slices_merge_into_one_report_with_counts_of_all_hosts():
    merged = merge_documents(entries(("job 2", SLICE_2), ("job 1", SLICE_1)))
    assert [(r["host"], r["status"]) for r in merged["hosts"]] == [
        ("ws1", "compliant"),
        ("ws2", "drifted"),
        ("ws3", "compliant"),
        ("ws4", "failed"),
    ]
    summary = merged["summary"]
    assert (summary["hosts"], summary["compliant"], summary["drifted"], summary["failed"]) == (
        4,
        2,
        1,
        1,
    )
    assert summary["settings"] == {"permission": {"hosts": 1, "values": 1}}
    assert merged["generated_at"] == "2026-03-01T10:05:00Z", "the newest input's time"
    assert merged["merge"]["duplicates"] == [] and merged["merge"]["failed_slices"] == []


def test_a_host_present_twice_keeps_the_newer_result_and_is_flagged():
    merged = merge_documents(entries(("run 2", RERUN), ("job 1", SLICE_1)))
    ws2 = next(r for r in merged["hosts"] if r["host"] == "ws2")
    assert ws2["status"] == "compliant", "the later run's result, whatever the input order"
    assert merged["merge"]["duplicates"] == [
        {"host": "ws2", "kept": "run 2", "kept_at": "2026-03-01T11:00:00Z", "dropped": ["job 1"]}
    ]


def test_equal_times_keep_the_later_input():
    same = slice_report({"ws1": drifted()}, SLICE_1["generated_at"])
    merged = merge_documents(entries(("first", SLICE_1), ("second", same)))
    assert next(r for r in merged["hosts"] if r["host"] == "ws1")["status"] == "drifted"
    assert merged["merge"]["duplicates"][0]["kept"] == "second"


def test_missing_hosts_are_flagged_and_listed_unreachable():
    merged = merge_documents(
        entries(("job 1", SLICE_1)), expected_hosts=["ws1", "ws2", "ws9", "ws5"]
    )
    assert merged["merge"]["missing_hosts"] == ["ws5", "ws9"]
    missing = {r["host"]: r for r in merged["hosts"] if r["host"] in ("ws5", "ws9")}
    assert {r["status"] for r in missing.values()} == {"unreachable"}
    assert missing["ws5"]["msg"] == MISSING_MSG
    assert merged["summary"]["unreachable"] == 2


def test_failed_slices_are_flagged_with_or_without_a_report():
    merged = merge_documents(
        [
            {"source": "job 1", "report": SLICE_1},
            {"source": "job 2", "report": SLICE_2, "failed": True, "reason": "job failed"},
            {"source": "job 3", "report": None},
        ]
    )
    assert merged["merge"]["failed_slices"] == [
        {"source": "job 2", "reason": "job failed"},
        {"source": "job 3", "reason": "no report"},
    ]
    assert merged["summary"]["hosts"] == 4, "a failed slice's report is still merged"
    assert [s["source"] for s in merged["merge"]["sources"]] == ["job 1", "job 2"]


def test_output_is_deterministic_whatever_the_input_order():
    pairs = [("job 1", SLICE_1), ("job 2", SLICE_2), ("run 2", RERUN)]
    outputs = set()
    for order in itertools.permutations(pairs):
        merged = merge_documents(entries(*order), expected_hosts=["ws1", "ws7"])
        outputs.add(json.dumps(merged, sort_keys=True))
    assert len(outputs) == 1


def test_version_1_records_get_the_new_fields():
    old = json.loads(json.dumps(SLICE_1))
    old["report_version"] = 1
    for record in old["hosts"]:
        del record["functional_problems"]
    merged = merge_documents(entries(("old", old)))
    assert all(r["functional_problems"] == [] for r in merged["hosts"])


@pytest.mark.parametrize(
    ("report", "fragment"),
    [
        ({"hosts": []}, "is not a fleet report"),
        (dict(SLICE_1, report_version=99), "report_version 99, newer"),
        (dict(SLICE_1, hosts=[{"status": "compliant"}]), "without host or status"),
        (dict(SLICE_1, generated_at="yesterday"), "'yesterday' is not an ISO 8601 time"),
    ],
)
def test_bad_inputs_are_named(report, fragment):
    with pytest.raises(MergeError, match=fragment) as raised:
        merge_documents([{"source": "slice-x.json", "report": report}])
    assert "slice-x.json" in str(raised.value) or "yesterday" in str(raised.value)
