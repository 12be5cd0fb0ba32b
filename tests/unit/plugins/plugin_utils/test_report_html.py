"""The HTML report as text: self-contained, escaped, and carrying the report's numbers.
tests/report/test_report_in_browser.py checks the same page in a real browser."""

from __future__ import annotations

import re

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fleet_report import (
    STATUSES,
    fleet_document,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._report_html import (
    render_html,
    setting_compliance,
)

TS = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services"
DRIFT = {
    "setting": "permission",
    "path": TS,
    "name": "fAllowUnsolicitedFullControl",
    "expected": {"type": "REG_DWORD", "data": 1},
    "actual": {"type": "REG_DWORD", "data": 0},
}
CONFLICT = {
    "setting": "permission",
    "path": TS,
    "name": "fAllowUnsolicitedFullControl",
    "gpo": "RA <Baseline> & co",
    "gpo_value": {"type": "REG_DWORD", "data": 0},
    "expected": {"type": "REG_DWORD", "data": 1},
}
HOSTILE = '<script>alert("x")</script>'


def document():
    return fleet_document(
        {
            "ok": {"policy": {"drift": []}},
            "drift": {"policy": {"drift": [DRIFT]}},
            "gpo": {"policy": {"drift": [DRIFT], "gpo_conflicts": [CONFLICT]}},
            "srv": {"policy": {"drift": [], "functional_problems": ["msra.exe is missing"]}},
            "bad": {"failure": {"msg": HOSTILE, "task": "Offer"}},
        },
        hosts=["ok", "drift", "gpo", "srv", "bad", "gone"],
        generated_at="2026-03-01T10:00:00Z",
    )


def test_page_loads_nothing_from_elsewhere():
    page = render_html(document())
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert not re.search(r"\b(src|href)\s*=", page), "no external script, style, font or link"
    assert "http://" not in page and "https://" not in page and "@import" not in page


def test_everything_from_the_hosts_is_escaped():
    page = render_html(document())
    assert HOSTILE not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "RA &lt;Baseline&gt; &amp; co" in page
    assert page.count("<script>") == 1, "only the page's own filter script"


def test_summary_cards_carry_the_json_counts():
    doc = document()
    page = render_html(doc)
    for status in STATUSES:
        assert f'id="count-{status}">{doc["summary"][status]}<' in page
    assert f'id="count-hosts">{doc["summary"]["hosts"]}<' in page
    assert f'id="count-audited">{doc["summary"]["audited"]}<' in page


def test_chart_has_one_bar_per_setting_with_compliant_of_audited():
    doc = document()
    rows = {row["setting"]: row for row in setting_compliance(doc)}
    assert rows["permission"] == {"setting": "permission", "audited": 4, "compliant": 2}
    assert rows["dcom"]["compliant"] == 4
    page = render_html(doc)
    assert 'data-setting="permission" data-compliant="2" data-audited="4"' in page
    assert page.count('<g class="bar"') == len(rows)


def test_host_table_has_a_row_per_host_and_a_filter_option_per_present_status():
    page = render_html(document())
    rows = re.findall(r'<tr data-status="([a-z_]+)"><td>([^<]+)</td>', page.split("</table>")[0])
    assert sorted(host for _status, host in rows) == ["bad", "drift", "gone", "gpo", "ok", "srv"]
    options = re.findall(r'<option value="([a-z_]+)">', page)
    assert options == [
        "all",
        "failed",
        "unreachable",
        "not_functional",
        "conflict",
        "drifted",
        "compliant",
    ]


def test_drift_evidence_names_value_read_expected_source_and_time():
    page = render_html(document())
    detail = page.split('data-host="gpo"')[1].split("</details>")[0]
    assert "REG_DWORD:0" in detail and "REG_DWORD:1" in detail
    assert "GPO &#x27;RA &lt;Baseline&gt; &amp; co&#x27;" in detail, "the GPO is the source"
    assert "2026-03-01T10:00:00Z" in detail
    plain = page.split('data-host="drift"')[1].split("</details>")[0]
    assert "local registry" in plain
    srv = page.split('data-host="srv"')[1].split("</details>")[0]
    assert "not functional: msra.exe is missing" in srv


def test_unreachable_and_failed_hosts_have_their_own_section():
    section = render_html(document()).split('id="unaudited"')[1].split("</section>")[0]
    assert ">bad<" in section and ">gone<" in section and ">ok<" not in section
