"""The collection's scenarios over winrm and over psrp: both reach the same lab state at
the same cost in engine runs per host.

Each connection runs the same sequence on freshly reset hosts of one NTLM lab (winrm with
`ntlm`, psrp with its default `negotiate`, both message-encrypted over HTTP): converge,
converge again, check-mode audit, bad input. The first converge picks the connection
with `-e ansible_connection=...` on the lab's inventory, as a user trying psrp would; the
other steps use an inventory written for that connection, because an extra var also
reaches the audit's report task delegated to localhost.
"""

from __future__ import annotations

import pytest
from e2e_support import (
    engine_runs,
    records_by_host,
    run_audit,
    run_playbook,
    standard_values,
    value_in,
    writes,
)

from winra_lab import inventory

pytestmark = pytest.mark.e2e

HOSTS = 2
CONNECTIONS = ("winrm", "psrp")
BAD_INPUT = {"offer_remote_assistance_helpers": ["Helpdesk"]}


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh"] * HOSTS, auth="ntlm")


def _scenario(lab, connection: str, tmp_dir) -> dict:
    """Run every step over one connection; keep what each step did to the lab."""
    hosts = inventory.write(
        tmp_dir / f"{connection}.ini",
        lab.lab.host_summaries(),
        lab.lab.credentials.user,
        lab.lab.credentials.password,
        transport=lab.lab.auth,
        connection=connection,
    )
    client = lab.client
    client.reset()
    outcome: dict = {}

    converge = run_playbook(
        "site.yml", lab.inventory, tmp_dir, extra_vars={"ansible_connection": connection}
    )
    outcome["converge"] = (converge, client.counters())
    outcome["state"] = {
        name: (client.registry(name), client.firewall_rules(name)) for name in lab.names
    }

    client.reset_counters()
    again = run_playbook("site.yml", hosts, tmp_dir)
    outcome["again"] = (again, client.counters())

    client.reset_counters()
    audit, report, _markdown = run_audit(hosts, tmp_dir)
    outcome["audit"] = (audit, report, client.counters())

    client.reset()
    fresh = {name: client.registry(name) for name in lab.names}
    bad = run_playbook("site.yml", hosts, tmp_dir, extra_vars=BAD_INPUT)
    after = {name: client.registry(name) for name in lab.names}
    outcome["bad"] = (bad, client.counters(), fresh, after)
    return outcome


@pytest.fixture(scope="module")
def outcomes(lab, tmp_path_factory):
    """The scenario's outcome per connection, each run once for the whole module."""
    cache: dict[str, dict] = {}

    def outcome(connection: str) -> dict:
        if connection not in cache:
            cache[connection] = _scenario(lab, connection, tmp_path_factory.mktemp(connection))
        return cache[connection]

    return outcome


def _used(counters: dict, connection: str) -> bool:
    """The requests went over the connection asked for: PSRP pools, or WinRS commands."""
    if connection == "psrp":
        return counters["pools"] > 0 and counters["commands"] == 0
    return counters["commands"] > 0 and counters["pools"] == 0


@pytest.mark.parametrize("connection", CONNECTIONS)
def test_site_converges_fresh_hosts(lab, outcomes, connection):
    run, counters = outcomes(connection)["converge"]

    assert run.returncode == 0, run.output[-4000:]
    assert run.changed_hosts() == set(lab.names)
    for name in lab.names:
        assert _used(counters[name], connection), counters[name]
        registry, _rules = outcomes(connection)["state"][name]
        for (path, value_name), value in standard_values().items():
            assert value_in(registry, path, value_name) == value, (name, path, value_name)


@pytest.mark.parametrize("connection", CONNECTIONS)
def test_second_run_changes_and_writes_nothing(lab, outcomes, connection):
    run, counters = outcomes(connection)["again"]

    assert run.returncode == 0, run.output[-4000:]
    for name in lab.names:
        assert run.recap[name]["changed"] == 0, name
        assert writes(counters[name]) == 0, name
        assert engine_runs(counters[name])[1] == 0, "no check-mode run in a real run"


@pytest.mark.parametrize("connection", CONNECTIONS)
def test_check_mode_audit_reports_converged_hosts_compliant(lab, outcomes, connection):
    run, report, counters = outcomes(connection)["audit"]

    assert run.returncode == 0, run.output[-4000:]
    assert report["summary"]["compliant"] == HOSTS
    for name, record in records_by_host(report).items():
        assert record["status"] == "compliant", record
        assert writes(counters[name]) == 0, name
        assert engine_runs(counters[name])[0] == 0, "check mode runs nothing for real"
        assert _used(counters[name], connection), counters[name]


@pytest.mark.parametrize("connection", CONNECTIONS)
def test_bad_input_fails_and_writes_nothing(lab, outcomes, connection):
    run, counters, fresh, after = outcomes(connection)["bad"]

    assert run.returncode != 0
    assert run.failed_hosts() == set(lab.names)
    # The role's one task names the role variable, not the module option.
    assert "Invalid value for option 'offer_remote_assistance_helpers': 'Helpdesk'" in run.output
    for name in lab.names:
        assert writes(counters[name]) == 0, name
        assert counters[name]["module_runs"] == {}, name
        assert after[name] == fresh[name], name


def test_both_connections_reach_the_same_state_at_the_same_engine_runs(lab, outcomes):
    winrm, psrp = outcomes("winrm"), outcomes("psrp")

    assert psrp["state"] == winrm["state"]
    for step, at in (("converge", 1), ("again", 1), ("audit", 2), ("bad", 1)):
        winrm_counters, psrp_counters = winrm[step][at], psrp[step][at]
        for name in lab.names:
            assert engine_runs(psrp_counters[name]) == engine_runs(winrm_counters[name]), (
                step,
                name,
            )
            assert writes(psrp_counters[name]) == writes(winrm_counters[name]), (step, name)
