"""A fleet of 200 lab hosts, 50 forks: every host converges, and the audit agrees."""

from __future__ import annotations

import time

import pytest
from e2e_support import records_by_host, run_audit, run_playbook, standard_values, value_in

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

HOSTS = 200
FORKS = 50


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh"] * HOSTS)


def test_two_hundred_hosts_with_fifty_forks_all_converge(lab, tmp_path):
    started = time.monotonic()
    run = run_playbook("site.yml", lab.inventory, tmp_path, forks=FORKS, timeout=900)
    elapsed = time.monotonic() - started

    assert run.returncode == 0, run.output[-4000:]
    assert len(run.recap) == HOSTS, "a task silently skipped hosts"
    assert run.changed_hosts() == set(lab.names)
    expected = standard_values()
    for name in lab.names:
        registry = lab.client.registry(name)
        assert all(value_in(registry, p, n) == v for (p, n), v in expected.items()), name
    counters = lab.client.counters()
    # The role's one task on a fresh host: one read and one apply, nothing more.
    assert {c["module_runs_total"] for c in counters.values()} == {2}

    _audit, report, _markdown = run_audit(lab.inventory, tmp_path, forks=FORKS, timeout=900)
    assert report["summary"]["compliant"] == HOSTS
    assert set(records_by_host(report)) == set(lab.names)
    print(f"site.yml over {HOSTS} hosts with {FORKS} forks: {elapsed:.1f}s")
