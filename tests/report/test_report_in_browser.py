"""The HTML report of a fleet with every status, in a real headless browser."""

from __future__ import annotations

import json

from report_browser import check_page, opened, visible_statuses

from ansible_collections.winra.remote_assistance.plugins.filter.fleet_report import fleet_report
from ansible_collections.winra.remote_assistance.plugins.filter.merge_fleet_reports import (
    merge_fleet_reports,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
OLE = "HKLM:\\SOFTWARE\\Microsoft\\Ole"
PERMISSION = {
    "setting": "permission",
    "path": TS,
    "name": "fAllowUnsolicitedFullControl",
    "expected": {"type": "REG_DWORD", "data": 1},
    "actual": {"type": "REG_DWORD", "data": 0},
}
DCOM = {
    "setting": "dcom",
    "path": OLE,
    "name": "EnableDCOM",
    "expected": {"type": "REG_SZ", "data": "Y"},
    "actual": {"type": "REG_SZ", "data": "N"},
}
CONFLICT = dict(
    PERMISSION, gpo="RA Baseline (view only)", gpo_value={"type": "REG_DWORD", "data": 0}
)
CONFLICT.pop("actual")
HOSTILE = "<img src=x onerror=alert(1)> & </script>"


def results():
    clean = {"policy": {"drift": []}, "firewall": {"drift": []}}
    return {
        "ws01": clean,
        "ws02": clean,
        "ws03": {"policy": {"drift": [PERMISSION, DCOM]}, "firewall": {"drift": []}},
        "ws04": {"policy": {"drift": [DCOM]}},
        "ws05": {"policy": {"drift": [PERMISSION], "gpo_conflicts": [CONFLICT]}},
        "srv01": {"policy": {"drift": [], "functional_problems": ["msra.exe is missing"]}},
        "ws06": {"failure": {"msg": HOSTILE, "task": "Offer Remote Assistance policy"}},
        "ws07": {"policy": {"unreachable": True, "msg": "connection refused"}},
    }


def write(tmp_path, report):
    (tmp_path / "fleet-report.json").write_text(json.dumps(report), encoding="utf-8")
    page = tmp_path / "fleet-report.html"
    page.write_text(fleet_report(report, format="html"), encoding="utf-8")
    return page, json.loads((tmp_path / "fleet-report.json").read_text(encoding="utf-8"))


def test_page_is_offline_error_free_and_its_numbers_are_the_json_numbers(tmp_path):
    report = fleet_report(results(), hosts=list(results()), generated_at="2026-03-01T10:00:00Z")
    page, from_json = write(tmp_path, report)
    check_page(page, from_json)


def test_hostile_text_is_shown_as_text_not_run(tmp_path):
    report = fleet_report(results(), hosts=list(results()))
    page_file = write(tmp_path, report)[0]
    with opened(page_file) as (page, seen):
        assert HOSTILE in page.inner_text("#unaudited")
        assert page.locator("#unaudited img").count() == 0
        assert seen["errors"] == [] and len(seen["requests"]) == 1


def test_filter_by_status_hides_the_other_hosts(tmp_path):
    report = fleet_report(results(), hosts=list(results()))
    page_file = write(tmp_path, report)[0]
    with opened(page_file) as (page, _seen):
        page.select_option("#status-filter", "conflict")
        assert visible_statuses(page) == ["conflict"]
        assert page.locator("#host-table tbody tr:visible td").first.inner_text() == "ws05"


def test_merged_report_page_shows_duplicates_and_missing_hosts(tmp_path):
    first = fleet_report(results(), hosts=list(results()), generated_at="2026-03-01T10:00:00Z")
    again = fleet_report(
        {"ws03": {"policy": {"drift": []}}}, hosts=["ws03"], generated_at="2026-03-01T12:00:00Z"
    )
    merged = merge_fleet_reports(
        [{"source": "job 1", "report": first}, {"source": "job 2", "report": again}],
        expected_hosts=[*results(), "ws99"],
    )
    page_file, from_json = write(tmp_path, merged)
    check_page(page_file, from_json)
    with opened(page_file) as (page, _seen):
        notes = page.inner_text("#merge")
        assert "duplicate host ws03: kept the result of job 2" in notes
        assert "missing hosts (in no report): ws99" in notes
