"""A domain GPO that fights the standard: reported by the audit, warned about by the
converge, which does not write the GPO's values (a write would only flap back at the next
Group Policy refresh). Checked on the lab's own state."""

from __future__ import annotations

import pytest
from e2e_support import TS, dword, records_by_host, run_audit, run_playbook, value_in, writes

pytestmark = pytest.mark.e2e

GPO = "RA Baseline (view only)"
PERMISSION = "fAllowUnsolicitedFullControl"


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["gpo-conflict", "compliant"])


@pytest.fixture(autouse=True)
def reset_hosts(lab):
    lab.client.reset()
    return lab


def permission_on(lab, host):
    return value_in(lab.client.registry(host), TS, PERMISSION)


def audit_of(lab, tmp_path, host):
    lab.client.reset_counters()
    run, report, markdown = run_audit(lab.inventory, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    assert all(writes(c) == 0 for c in lab.client.counters().values()), "the audit wrote"
    return records_by_host(report)[host], report, markdown


def test_audit_reports_the_drift_and_the_gpo_and_writes_nothing(lab, tmp_path):
    fought, other = lab.by_profile("gpo-conflict")[0], lab.by_profile("compliant")[0]
    record, report, markdown = audit_of(lab, tmp_path, fought)

    assert record["status"] == "conflict", "not drifted: a converge there would not last"
    assert [(d["setting"], d["name"]) for d in record["drift"]] == [("permission", PERMISSION)]
    assert [
        (c["name"], c["gpo"], c["gpo_value"], c["expected"]) for c in record["gpo_conflicts"]
    ] == [(PERMISSION, GPO, dword(0), dword(1))]
    # The GPO also sets fAllowUnsolicited = 1, which agrees with the standard: no conflict.
    assert records_by_host(report)[other]["gpo_conflicts"] == []
    assert report["summary"]["gpo_conflicts"] == {"hosts": 1, "values": 1}
    assert "## Group Policy conflicts" in markdown and GPO in markdown
    assert permission_on(lab, fought) == dword(0)


def test_converge_warns_and_leaves_the_gpo_value_so_a_refresh_finds_nothing_to_undo(lab, tmp_path):
    fought = lab.by_profile("gpo-conflict")[0]

    # The subject is the live value a domain GPO fights; the Local Group Policy file is
    # another store, with its own tests (test_local_gpo_store.py), so keep it out of the count.
    run = run_playbook(
        "site.yml",
        lab.inventory,
        tmp_path,
        extra_vars={"offer_remote_assistance_policy_store": "registry"},
    )
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap[fought]["changed"] == 0
    said = " ".join(run.output.split())  # warnings are wrapped to the terminal width
    assert "Group Policy conflict" in said and GPO in said and "change the GPO" in said
    assert permission_on(lab, fought) == dword(0), "not written: the GPO would put it back"

    # Still drift from the standard, with the GPO named: the status is conflict, and the
    # refresh changes nothing.
    record, _report, _markdown = audit_of(lab, tmp_path, fought)
    assert record["status"] == "conflict"
    assert [d["name"] for d in record["drift"]] == [PERMISSION]
    assert [c["gpo"] for c in record["gpo_conflicts"]] == [GPO]
    before_refresh = lab.client.registry(fought)
    lab.client.gp_refresh(fought)
    assert lab.client.registry(fought) == before_refresh
