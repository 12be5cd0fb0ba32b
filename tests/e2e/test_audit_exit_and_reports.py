"""audit.yml on a mixed lab fleet: its exit status, where its reports go, and the HTML report
in a real browser. Every run is checked against the lab's own state (nothing written)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from e2e_support import (
    REPO,
    STANDARD_INVENTORY,
    VENV_BIN,
    ansible_env,
    parse_recap,
    records_by_host,
    run_audit,
    writes,
)

sys.path.insert(0, str(REPO / "tests" / "report"))
from report_browser import check_page

pytestmark = pytest.mark.e2e

PROFILES = ["compliant", "drift-permission", "workgroup", "gpo-conflict", "compliant"]
COULD_NOT_LOOK = "the audit could not look at this host"
NOT_COMPLIANT = "this host is not compliant"


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(PROFILES)


@pytest.fixture(autouse=True)
def reset_hosts(lab):
    lab.client.reset()
    lab.client.reset_counters()
    yield lab
    lab.client.clear_faults()


def fatal_hosts(output: str, words: str) -> set[str]:
    """Hosts whose `fatal:` line carries `words` (the gates' own messages)."""
    hosts = set()
    for line in output.splitlines():
        if line.startswith("fatal: [") and words in line:
            hosts.add(line.split("[", 1)[1].split("]", 1)[0])
    return hosts


def assert_nothing_written(lab):
    assert all(writes(c) == 0 for c in lab.client.counters().values()), "the audit wrote"


def test_a_host_it_could_not_look_at_makes_the_audit_fail_after_the_report(lab, tmp_path):
    down = lab.by_profile("compliant")[1]
    workgroup = lab.by_profile("workgroup")[0]
    lab.client.set_faults(down, refuse_connections=True)

    run, report, _markdown = run_audit(lab.inventory, tmp_path)

    assert run.returncode == 2, run.output[-3000:]
    records = records_by_host(report)
    assert set(records) == set(lab.names), "the report still lists every host"
    assert records[down]["status"] == "unreachable" and records[down]["msg"]
    assert records[workgroup]["status"] == "failed" and "resolve" in records[workgroup]["msg"]
    assert fatal_hosts(run.output, COULD_NOT_LOOK) == {down, workgroup}
    assert fatal_hosts(run.output, NOT_COMPLIANT) == set(), "the drift gate is off by default"
    assert {h for h, c in run.recap.items() if c["failed"]} == {down, workgroup}
    assert_nothing_written(lab)


def test_opting_out_only_reports_the_hosts_it_could_not_look_at(lab, tmp_path):
    down = lab.by_profile("compliant")[1]
    lab.client.set_faults(down, refuse_connections=True)

    run, report, _markdown = run_audit(
        lab.inventory, tmp_path, extra_vars={"winra_audit_fail_on_unaudited": False}
    )

    assert run.returncode == 0, run.output[-3000:]
    assert report["summary"]["unreachable"] == 1 and report["summary"]["failed"] == 1


def test_the_drift_gate_fails_exactly_the_hosts_looked_at_and_not_compliant(lab, tmp_path):
    workgroup = lab.by_profile("workgroup")[0]
    run, report, _markdown = run_audit(
        lab.inventory,
        tmp_path,
        limit=f"all:!{workgroup}",
        extra_vars={"winra_audit_fail_on_drift": True},
    )

    assert run.returncode == 2, run.output[-3000:]
    records = records_by_host(report)
    drifted, fought = lab.by_profile("drift-permission")[0], lab.by_profile("gpo-conflict")[0]
    assert records[drifted]["status"] == "drifted"
    assert records[fought]["status"] == "conflict"
    assert fatal_hosts(run.output, NOT_COMPLIANT) == {drifted, fought}
    assert fatal_hosts(run.output, COULD_NOT_LOOK) == set()
    assert_nothing_written(lab)


def test_a_compliant_fleet_exits_0_with_both_gates_on(lab, tmp_path):
    compliant = lab.by_profile("compliant")
    run, report, _markdown = run_audit(
        lab.inventory,
        tmp_path,
        limit=",".join(compliant),
        extra_vars={"winra_audit_fail_on_drift": True},
    )
    assert run.returncode == 0, run.output[-3000:]
    assert report["summary"]["compliant"] == len(compliant) == report["summary"]["hosts"]


def test_every_host_unreachable_still_writes_the_report_and_fails(lab, tmp_path):
    for name in lab.names:
        lab.client.set_faults(name, refuse_connections=True)

    run, report, markdown = run_audit(lab.inventory, tmp_path)

    assert run.returncode == 2, run.output[-3000:]
    assert report["summary"]["unreachable"] == len(lab.names) == report["summary"]["hosts"]
    assert all(f"| {name} | unreachable |" in markdown for name in lab.names)


def test_default_report_dir_is_where_the_command_runs_never_inside_the_collection(lab, tmp_path):
    """`ansible-playbook winra.remote_assistance.audit` from another directory."""
    installed = REPO / "collections" / "ansible_collections" / "winra" / "remote_assistance"
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run(
        [
            str(VENV_BIN / "ansible-playbook"),
            "-i",
            str(STANDARD_INVENTORY),
            "-i",
            str(lab.inventory),
            "winra.remote_assistance.audit",
            "--limit",
            lab.by_profile("compliant")[0],
        ],
        cwd=work,
        env=ansible_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    assert sorted(p.name for p in (work / "reports").iterdir()) == [
        "fleet-report.html",
        "fleet-report.json",
        "fleet-report.md",
    ]
    assert not (installed / "reports").exists(), "nothing is written inside the collection"
    assert str(work / "reports") in done.stdout, "the run says where the report is"
    assert parse_recap(done.stdout)


def test_the_html_report_of_a_lab_audit_shows_the_json_numbers(lab, tmp_path):
    down = lab.by_profile("compliant")[1]
    lab.client.set_faults(down, refuse_connections=True)

    _run, report, _markdown = run_audit(lab.inventory, tmp_path)

    html = tmp_path / "reports" / "fleet-report.html"
    assert report == json.loads((tmp_path / "reports" / "fleet-report.json").read_text())
    check_page(html, report)
