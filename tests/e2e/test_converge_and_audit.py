"""site.yml and audit.yml on fresh, converged and drifted lab hosts, checked on the lab."""

from __future__ import annotations

import pytest
from e2e_support import (
    FIREWALL,
    KB_PORT,
    KB_PROGRAMS,
    OLE,
    RA_UNSOLICIT,
    TS,
    UNRELATED_TS,
    delete_op,
    dword,
    engine_runs,
    folded_registry,
    records_by_host,
    run_audit,
    run_playbook,
    set_op,
    standard_values,
    sz,
    value_in,
    values_under,
    writes,
)

pytestmark = pytest.mark.e2e

HOSTS = 7


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh"] * HOSTS)


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    lab.client.reset()
    return lab


def converge(lab, tmp_path):
    run = run_playbook("site.yml", lab.inventory, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    return run


def test_site_converges_every_spec_value_and_a_second_run_writes_nothing(lab, tmp_path):
    before = {name: lab.client.registry(name) for name in lab.names}

    first = converge(lab, tmp_path)
    assert first.changed_hosts() == set(lab.names)

    expected = standard_values()
    for name in lab.names:
        registry = lab.client.registry(name)
        for (path, value_name), value in expected.items():
            assert value_in(registry, path, value_name) == value, (name, path, value_name)
        # The helper list is exclusive: exactly the standard's helpers, nothing else.
        assert sorted(values_under(registry, RA_UNSOLICIT)) == sorted(
            ["CONTOSO\\Helpdesk", "CONTOSO\\Tier2 Support"]
        )
        for unrelated in UNRELATED_TS:
            assert value_in(registry, TS, unrelated) == value_in(before[name], TS, unrelated)

    lab.client.reset_counters()
    second = converge(lab, tmp_path)
    counters = lab.client.counters()
    for name in lab.names:
        assert second.recap[name]["changed"] == 0, name
        assert writes(counters[name]) == 0, name
        # One read and no apply: a compliant host costs one engine run for the whole standard.
        assert engine_runs(counters[name]) == (1, 0), name


def test_check_mode_on_fresh_hosts_reports_changes_and_writes_nothing(lab, tmp_path):
    before = {name: lab.client.registry(name) for name in lab.names}

    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_args=("--check", "--diff"))

    assert run.returncode == 0, run.output[-4000:]
    assert run.changed_hosts() == set(lab.names)
    # The diff names the values that would be written, the en dash intact.
    assert "fAllowUnsolicitedFullControl" in run.output
    assert "Remote Assistance \u2013 Windows Messenger and Voice" in run.output
    counters = lab.client.counters()
    for name in lab.names:
        assert writes(counters[name]) == 0, name
        assert engine_runs(counters[name]) == (0, 1), name
        assert lab.client.registry(name) == before[name]


def test_the_en_dash_of_the_kb_program_name_is_byte_exact_in_the_registry(lab, tmp_path):
    converge(lab, tmp_path)
    helpctr = KB_PROGRAMS[2]
    for profile in ("DomainProfile", "StandardProfile"):
        stored = lab.client.value(
            lab.names[0], f"{FIREWALL}\\{profile}\\AuthorizedApplications\\List", helpctr
        )
        assert stored["present"], profile
        assert stored["name"] == stored["data"] == helpctr
        assert stored["data"].encode("utf-8").count(b"\xe2\x80\x93") == 1
        assert "\u2013" in stored["data"] and " - " not in stored["data"]


def test_audit_of_converged_hosts_reports_no_drift_and_writes_nothing(lab, tmp_path):
    converge(lab, tmp_path)
    converged = {name: lab.client.registry(name) for name in lab.names}
    lab.client.reset_counters()

    run, report, markdown = run_audit(lab.inventory, tmp_path)

    assert run.returncode == 0, run.output[-4000:]
    assert report["summary"]["compliant"] == HOSTS
    counters = lab.client.counters()
    for name, record in records_by_host(report).items():
        assert record["status"] == "compliant", record
        assert record["drift"] == []
        assert writes(counters[name]) == 0
        # Exactly one engine run for the whole standard, in check mode.
        assert engine_runs(counters[name]) == (0, 1)
        assert lab.client.registry(name) == converged[name]
    assert (
        f"{HOSTS} hosts: 0 failed, 0 unreachable, 0 not_functional, 0 conflict, 0 drifted, "
        f"{HOSTS} compliant." in markdown
    )


# Drift introduced by "someone else", one kind per host; the last host stays compliant.
DOMAIN_PORTS = f"{FIREWALL}\\DomainProfile\\GloballyOpenPorts\\List"
STANDARD_PROGRAMS = f"{FIREWALL}\\StandardProfile\\AuthorizedApplications\\List"
DRIFT = [
    ("permission", set_op(TS, "fAllowUnsolicitedFullControl", dword(0))),
    ("helpers", set_op(RA_UNSOLICIT, "CONTOSO\\alice", sz("CONTOSO\\alice"))),
    ("dcom", set_op(OLE, "EnableDCOM", sz("N"))),
    (
        "firewall_ports",
        set_op(DOMAIN_PORTS, "135:TCP", sz(KB_PORT.replace("Enabled", "Disabled"))),
    ),
    ("firewall_programs", delete_op(STANDARD_PROGRAMS, KB_PROGRAMS[1])),
    ("offer_policy", delete_op(TS, "fAllowUnsolicited")),
]


def test_drift_is_reported_exactly_and_repaired_exactly(lab, tmp_path):
    converge(lab, tmp_path)
    converged = {name: lab.client.registry(name) for name in lab.names}
    drifted = dict(zip(lab.names, DRIFT, strict=False))
    untouched = [name for name in lab.names if name not in drifted]
    for name, (_setting, op) in drifted.items():
        lab.client.edit_registry(name, [op])
    with_drift = {name: lab.client.registry(name) for name in lab.names}
    lab.client.reset_counters()

    run, report, _markdown = run_audit(lab.inventory, tmp_path)

    assert run.returncode == 0, run.output[-4000:]
    records = records_by_host(report)
    for name, (setting, op) in drifted.items():
        record = records[name]
        assert record["status"] == "drifted", record
        assert {item["setting"] for item in record["drift"]} == {setting}, record["drift"]
        assert any(
            item["name"].casefold() == op["name"].casefold()
            and item["path"].casefold() == op["path"].casefold()
            for item in record["drift"]
        ), (op, record["drift"])
    for name in untouched:
        assert records[name]["status"] == "compliant"
    assert set(report["summary"]["settings"]) == {setting for setting, _ in DRIFT}
    assert all(counts["hosts"] == 1 for counts in report["summary"]["settings"].values())
    counters = lab.client.counters()
    for name in lab.names:
        assert writes(counters[name]) == 0, name
        assert lab.client.registry(name) == with_drift[name], "the audit wrote something"

    lab.client.reset_counters()
    repair = converge(lab, tmp_path)

    assert repair.changed_hosts() == set(drifted)
    counters = lab.client.counters()
    for name in lab.names:
        assert lab.client.registry(name) == converged[name], name
    for name in untouched:
        assert writes(counters[name]) == 0


FOREIGN_PORT = "3389:TCP:*:Enabled:Remote Desktop"


def test_state_absent_removes_exactly_what_the_role_manages(lab, tmp_path):
    name = lab.names[0]
    fresh = lab.client.registry(name)
    converge(lab, tmp_path)
    # Someone else's exception beside ours: the lists are additive in Group Policy.
    lab.client.edit_registry(name, [set_op(DOMAIN_PORTS, FOREIGN_PORT, sz(FOREIGN_PORT))])

    run = run_playbook(
        "site.yml",
        lab.inventory,
        tmp_path,
        extra_vars={"offer_remote_assistance_state": "absent"},
        limit=name,
    )

    assert run.returncode == 0, run.output[-4000:]
    after = folded_registry(lab.client.registry(name))
    # Every value the host had before the role ever ran is still there, unchanged.
    for key, value in folded_registry(fresh).items():
        assert after.get(key) == value, key
    # Of what the role wrote, only the lists' Enabled switches may stay: someone else's
    # entry still depends on the port list being in force.
    assert after[(DOMAIN_PORTS.casefold(), FOREIGN_PORT.casefold())] == sz(FOREIGN_PORT)
    assert after[(f"{FIREWALL}\\DomainProfile\\GloballyOpenPorts".casefold(), "enabled")] == (
        dword(1)
    )
    left_over = {
        key
        for key in set(after) - set(folded_registry(fresh))
        if key[1] != "enabled" and key != (DOMAIN_PORTS.casefold(), FOREIGN_PORT.casefold())
    }
    assert left_over == set()
    for (path, value_name), _value in standard_values().items():
        if value_name != "Enabled" and path.casefold() != OLE.casefold():
            assert (path.casefold(), value_name.casefold()) not in after, (path, value_name)
