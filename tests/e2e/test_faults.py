"""Faults injected through the lab: a host refusing connections, a write failing midway,
and a change made by someone else between our read and our apply."""

from __future__ import annotations

import pytest
from e2e_support import (
    TS,
    dword,
    records_by_host,
    run_audit,
    run_playbook,
    standard_values,
    value_in,
    writes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh", "fresh", "fresh", "compliant"])


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    lab.client.reset()
    return lab


def is_converged(registry: dict) -> bool:
    return all(
        value_in(registry, path, name) == value for (path, name), value in standard_values().items()
    )


def test_a_host_refusing_connections_is_listed_unreachable_and_the_rest_complete(lab, tmp_path):
    down = lab.names[1]
    lab.client.set_faults(down, refuse_connections=True)

    _audit, report, markdown = run_audit(lab.inventory, tmp_path)
    records = records_by_host(report)
    assert records[down]["status"] == "unreachable"
    assert records[down]["msg"]
    assert set(records) == set(lab.names), "no host is missing from the report"
    for name in set(lab.names) - {down}:
        assert records[name]["status"] in ("drifted", "compliant"), records[name]
    assert f"| {down} | unreachable |" in markdown

    site = run_playbook("site.yml", lab.inventory, tmp_path)
    assert site.recap[down]["unreachable"] == 1
    for name in set(lab.names) - {down}:
        assert site.recap[name]["failed"] == 0 and site.recap[name]["unreachable"] == 0
        assert is_converged(lab.client.registry(name)), name
    assert lab.client.counters()[down]["connections"] == 0


def test_a_write_failing_midway_leaves_the_host_unchanged_and_a_rerun_converges(lab, tmp_path):
    broken, other = lab.names[0], lab.names[2]
    before = lab.client.registry(broken)
    lab.client.set_faults(broken, fail_write_after=2)

    run = run_playbook("site.yml", lab.inventory, tmp_path, limit=f"{broken},{other}")

    assert run.failed_hosts() == {broken}
    failure = next(line for line in run.output.splitlines() if line.startswith("fatal:"))
    assert "rolled_back" in failure or "rolled back" in failure, failure
    assert lab.client.registry(broken) == before, "rolled back: the host is unchanged"
    assert is_converged(lab.client.registry(other))

    lab.client.clear_faults(broken)
    rerun = run_playbook("site.yml", lab.inventory, tmp_path, limit=broken)
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert is_converged(lab.client.registry(broken))


def test_a_change_between_read_and_apply_is_detected_and_nothing_of_ours_is_applied(lab, tmp_path):
    host = lab.names[0]
    before = lab.client.registry(host)
    theirs = {
        "op": "set_value",
        "path": TS,
        "name": "fAllowUnsolicitedFullControl",
        "type": "REG_DWORD",
        "data": 0,
    }
    lab.client.set_faults(host, change_before_apply=[theirs])
    lab.client.reset_counters()

    run = run_playbook("site.yml", lab.inventory, tmp_path, limit=host)

    assert run.failed_hosts() == {host}
    failure = next(line for line in run.output.splitlines() if line.startswith("fatal:"))
    assert "fAllowUnsolicitedFullControl" in failure, failure
    after = lab.client.registry(host)
    # Their change is there; none of ours is.
    assert value_in(after, TS, "fAllowUnsolicitedFullControl") == dword(0)
    assert value_in(after, TS, "fAllowUnsolicited") is None
    assert writes(lab.client.counters()[host]) == 0
    expected = {**before, TS: {**before[TS], "fAllowUnsolicitedFullControl": dword(0)}}
    assert after == expected

    # The concurrent change happened once; the next run sees it and converges.
    rerun = run_playbook("site.yml", lab.inventory, tmp_path, limit=host)
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert is_converged(lab.client.registry(host))
