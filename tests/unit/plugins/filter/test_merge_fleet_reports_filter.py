"""The merge_fleet_reports filter: option handling and registration over _report_merge."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.winra.remote_assistance.plugins.filter.fleet_report import fleet_report
from ansible_collections.winra.remote_assistance.plugins.filter.merge_fleet_reports import (
    FilterModule,
    merge_fleet_reports,
)


def report(hosts, at):
    return fleet_report(
        {h: {"policy": {"changed": False, "drift": []}} for h in hosts},
        hosts=hosts,
        generated_at=at,
    )


def test_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters()["merge_fleet_reports"] is merge_fleet_reports


def test_plain_reports_and_described_inputs_both_merge():
    merged = merge_fleet_reports(
        [report(["a"], "2026-01-01T00:00:00Z"), {"source": "job 7", "report": report(["b"], None)}]
    )
    assert [r["host"] for r in merged["hosts"]] == ["a", "b"]
    assert [s["source"] for s in merged["merge"]["sources"]] == ["input 1", "job 7"]


def test_markdown_and_html_formats():
    inputs = [report(["a"], "2026-01-01T00:00:00Z")]
    assert "Merged from 1 report(s)." in merge_fleet_reports(inputs, format="markdown")
    assert 'id="merge"' in merge_fleet_reports(inputs, format="html")


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        ({"a": 1}, {}, "expects a list of reports"),
        ([], {"expected_hosts": "a"}, "option 'expected_hosts'"),
        ([], {"format": "pdf"}, "option 'format'"),
        (["text"], {}, "input 1 must be a report"),
        ([{"source": "s3", "report": {"hosts": []}}], {}, "input 's3' is not a fleet report"),
    ],
)
def test_bad_input_names_the_option_or_the_input(args, kwargs, fragment):
    with pytest.raises(AnsibleFilterError, match=fragment):
        merge_fleet_reports(args, **kwargs)
