"""The fleet_report filter: option handling and registration, over the pure report code."""

from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.winra.remote_assistance.plugins.filter.fleet_report import (
    FilterModule,
    fleet_report,
)

RESULTS = {"a": {"policy": {"changed": False, "drift": []}}}


def test_filter_is_registered_under_its_documented_name():
    assert FilterModule().filters()["fleet_report"] is fleet_report


def test_document_by_default_with_missing_hosts_reported():
    document = fleet_report(RESULTS, hosts=["a", "b"], generated_at="now")
    assert document["summary"]["compliant"] == 1
    assert document["summary"]["unreachable"] == 1
    assert document["generated_at"] == "now"


def test_markdown_format_returns_text():
    text = fleet_report(RESULTS, hosts=["a"], format="markdown")
    assert isinstance(text, str)
    assert text.startswith("# Offer Remote Assistance: fleet audit")


def test_no_results_at_all_still_lists_the_hosts():
    document = fleet_report(None, hosts=["a"])
    assert [r["status"] for r in document["hosts"]] == ["unreachable"]


@pytest.mark.parametrize(
    ("args", "kwargs", "fragment"),
    [
        (["not a mapping"], {}, "mapping of host name"),
        ([RESULTS], {"hosts": "a"}, "option 'hosts'"),
        ([RESULTS], {"format": "pdf"}, "option 'format'"),
    ],
)
def test_bad_input_names_the_option(args, kwargs, fragment):
    with pytest.raises(AnsibleFilterError, match=fragment):
        fleet_report(*args, **kwargs)


def test_html_format_returns_one_page():
    page = fleet_report(RESULTS, hosts=["a"], format="html")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")


def test_a_report_document_is_rendered_as_it_is():
    document = fleet_report(RESULTS, hosts=["a", "b"], generated_at="t1")
    assert fleet_report(document) == document
    assert fleet_report(document, format="markdown") == fleet_report(
        RESULTS, hosts=["a", "b"], generated_at="t1", format="markdown"
    )
