"""Job slices merged: two slice audits, a later re-run of one host, a slice that wrote no
report and a host in no slice, merged by playbooks/merge_reports.yml on lab hosts."""

from __future__ import annotations

import json
import sys

import pytest
from e2e_support import REPO, records_by_host, run_audit, run_playbook

sys.path.insert(0, str(REPO / "tests" / "report"))
from report_browser import check_page

pytestmark = pytest.mark.e2e

PROFILES = ["compliant", "drift-permission", "compliant", "drift-dcom", "compliant"]


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(PROFILES)


def audit_into(lab, tmp_path, name, hosts):
    directory = tmp_path / name
    directory.mkdir()
    run, report, _markdown = run_audit(lab.inventory, directory, limit=",".join(hosts))
    assert run.returncode == 0, run.output[-3000:]
    return directory / "reports" / "fleet-report.json", report


def merge(lab, tmp_path, reports, out):
    run = run_playbook(
        "merge_reports.yml",
        lab.inventory,
        tmp_path,
        extra_vars={
            "winra_merge_reports": [str(p) for p in reports],
            # As docs/guides/awx.md writes it: the inventory's group, templated at use.
            "winra_merge_expected_hosts": "{{ groups['windows'] }}",
            "winra_merge_report_dir": str(tmp_path / out),
        },
    )
    assert run.returncode == 0, run.output[-3000:]
    return tmp_path / out


def test_slices_and_a_rerun_merge_into_one_report_that_flags_what_to_check(lab, tmp_path):
    names = lab.names
    drifted = lab.by_profile("drift-permission")[0]
    slice1, _ = audit_into(lab, tmp_path, "slice1", names[0:2])
    slice2, _ = audit_into(lab, tmp_path, "slice2", names[2:4])
    # The drifted host is fixed and audited again, later: its newer result must win.
    fixed = run_playbook("site.yml", lab.inventory, tmp_path, limit=drifted)
    assert fixed.returncode == 0, fixed.output[-3000:]
    rerun, _ = audit_into(lab, tmp_path, "rerun", [drifted])
    never_written = tmp_path / "slice3" / "fleet-report.json"

    out = merge(lab, tmp_path, [slice1, slice2, rerun, never_written], "merged")

    merged = json.loads((out / "fleet-report.json").read_text(encoding="utf-8"))
    records = records_by_host(merged)
    assert [r["host"] for r in merged["hosts"]] == sorted(names), "every host once, by name"
    assert records[drifted]["status"] == "compliant", "the newer result"
    assert merged["merge"]["duplicates"] == [
        {
            "host": drifted,
            "kept": str(rerun),
            "kept_at": json.loads(rerun.read_text())["generated_at"],
            "dropped": [str(slice1)],
        }
    ]
    assert merged["merge"]["missing_hosts"] == [names[4]]
    assert records[names[4]]["status"] == "unreachable"
    assert merged["merge"]["failed_slices"] == [
        {"source": str(never_written), "reason": "no such report file"}
    ]
    assert records[lab.by_profile("drift-dcom")[0]]["status"] == "drifted"
    summary = merged["summary"]
    assert (summary["hosts"], summary["compliant"], summary["drifted"]) == (5, 3, 1)
    assert summary["unreachable"] == 1
    markdown = (out / "fleet-report.md").read_text(encoding="utf-8")
    assert f"duplicate host {drifted}: kept the result of {rerun}" in markdown
    check_page(out / "fleet-report.html", merged)

    # Deterministic: the same reports in another order give the same files.
    again = merge(lab, tmp_path, [rerun, never_written, slice2, slice1], "merged-again")
    first, second = (
        json.loads((d / "fleet-report.json").read_text(encoding="utf-8")) for d in (out, again)
    )
    assert first == second
    for name in ("fleet-report.json", "fleet-report.md", "fleet-report.html"):
        assert (out / name).read_bytes() == (again / name).read_bytes(), name
