"""Bad role input, helper validation, a Norwegian host in rules mode and a Server without
the Remote Assistance feature, checked on the lab."""

from __future__ import annotations

import pytest
from e2e_support import (
    OFFER_RA_RULES,
    RULES_MODE,
    engine_runs,
    rules_by_name,
    run_playbook,
    standard_values,
    value_in,
    writes,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh", "fresh", "workgroup", "localized-nb", "server-no-ra"])


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    lab.client.reset()
    return lab


@pytest.mark.parametrize(
    ("extra_vars", "named"),
    [
        (
            {"offer_remote_assistance_permission": "full"},
            ["offer_remote_assistance_permission must be one of: view, control, got: full"],
        ),
        (
            {"offer_remote_assistance_helpers": []},
            ["option 'offer_remote_assistance_helpers': []: must name at least one"],
        ),
        (
            {**RULES_MODE, "offer_remote_assistance_firewall_profiles": ["standard"]},
            [
                "option 'offer_remote_assistance_firewall_profiles[0]': 'standard'",
                "backend=rules knows the profiles domain, private, public",
            ],
        ),
        (
            {"offer_remote_assistance_helpers": ["Helpdesk"]},
            ["Invalid value for option 'offer_remote_assistance_helpers': 'Helpdesk'"],
        ),
        # Every problem at once, each named after its variable: two bad helpers, a firewall
        # entry and Solicited RA (before: only the first, and the firewall after a write).
        (
            {
                "offer_remote_assistance_helpers": ["Helpdesk", "CONTOSO\\ok", "Tier2"],
                "offer_remote_assistance_firewall_ports": ["70000:TCP:*:Enabled:x"],
                "offer_remote_assistance_solicited": {"max_ticket_expiry": 500},
            },
            [
                "option 'offer_remote_assistance_helpers': 'Helpdesk'",
                "option 'offer_remote_assistance_helpers': 'Tier2'",
                "option 'offer_remote_assistance_firewall_ports[0]': '70000:TCP:*:Enabled:x'",
                "option 'offer_remote_assistance_solicited.max_ticket_expiry': 500",
            ],
        ),
        (
            {"offer_remote_assistance_solicited": {}},
            ["option 'offer_remote_assistance_solicited': {}"],
        ),
        (
            {**RULES_MODE, "offer_remote_assistance_firewall_rules": [42]},
            ["option 'offer_remote_assistance_firewall_rules[0]': 42"],
        ),
        (
            {"offer_remote_assistance_firewall_programs": ["\\\\srv\\s\\x.exe:*:Enabled:x"]},
            ["option 'offer_remote_assistance_firewall_programs[0]'", "UNC path"],
        ),
    ],
    ids=[
        "permission-choice",
        "empty-helpers",
        "profiles-for-backend",
        "helper-syntax",
        "all-at-once",
        "empty-solicited",
        "rule-name-number",
        "unc-program",
    ],
)
def test_bad_input_fails_before_any_host_is_contacted(lab, tmp_path, extra_vars, named):
    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=extra_vars)

    assert run.returncode != 0
    assert run.failed_hosts() == set(lab.names)
    for fragment in named:
        assert fragment in run.output, (fragment, run.output[-3000:])
    for name, counters in lab.client.counters().items():
        assert counters["connections"] == 0, name
        assert counters["commands"] == 0, name
        assert writes(counters) == 0, name


def test_helpers_unknown_to_one_host_fail_that_host_before_any_write(lab, tmp_path):
    workgroup = lab.by_profile("workgroup")[0]
    members = lab.by_profile("fresh")
    before = lab.client.registry(workgroup)

    run = run_playbook("site.yml", lab.inventory, tmp_path, limit=",".join([*members, workgroup]))

    assert run.failed_hosts() == {workgroup}
    failure = next(line for line in run.output.splitlines() if line.startswith("fatal:"))
    assert workgroup in failure and "Helpdesk" in failure and "resolve" in failure, failure
    counters = lab.client.counters()
    assert writes(counters[workgroup]) == 0
    assert engine_runs(counters[workgroup]) == (1, 0), "only the read ran"
    assert lab.client.registry(workgroup) == before
    for name in members:
        registry = lab.client.registry(name)
        assert all(
            value_in(registry, path, value_name) == value
            for (path, value_name), value in standard_values().items()
        ), name


def test_norwegian_host_in_rules_mode_converges_by_rule_name(lab, tmp_path):
    host = lab.by_profile("localized-nb")[0]
    rules_before = rules_by_name(lab.client.firewall_rules(host))
    assert all(not rules_before[name]["enabled"] for name in OFFER_RA_RULES)

    first = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=RULES_MODE, limit=host)
    assert first.returncode == 0, first.output[-4000:]

    rules = rules_by_name(lab.client.firewall_rules(host))
    for name in OFFER_RA_RULES:
        assert rules[name]["enabled"] is True, rules[name]
        assert "domain" in rules[name]["profiles"]
        # Still the built-in rule with its Norwegian name: addressed by Name, not recreated.
        assert rules[name]["display_name"] == rules_before[name]["display_name"]
    assert len(rules) == len(rules_before)
    untouched = set(rules) - set(OFFER_RA_RULES)
    assert all(rules[name] == rules_before[name] for name in untouched)

    rule_writes = lab.client.host(host)["state"]["firewall_writes"]
    assert rule_writes > 0
    lab.client.reset_counters()
    second = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=RULES_MODE, limit=host)
    assert second.recap[host]["changed"] == 0
    assert lab.client.host(host)["state"]["firewall_writes"] == rule_writes
    assert writes(lab.client.counters()[host]) == 0


def test_server_without_remote_assistance_fails_clearly_and_writes_nothing(lab, tmp_path):
    host = lab.by_profile("server-no-ra")[0]
    before = lab.client.host(host)["state"]
    lab.client.reset_counters()

    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=RULES_MODE, limit=host)

    assert run.failed_hosts() == {host}
    assert OFFER_RA_RULES[0] in run.output
    assert "Remote Assistance" in run.output
    after = lab.client.host(host)["state"]
    assert after["firewall_writes"] == 0
    assert after["firewall_rules"] == before["firewall_rules"], "no replacement rule"
    # One read covers policy and rules: the missing rule fails the host before anything
    # is written, not even the policy, and only that one engine run reached the host.
    assert after["registry"] == before["registry"]
    assert writes(lab.client.counters()[host]) == 0
    assert lab.client.counters()[host]["module_runs_total"] == 1


def test_profile_names_in_any_case_mean_the_same_in_the_role(lab, tmp_path):
    host = lab.by_profile("fresh")[0]
    mixed = {"offer_remote_assistance_firewall_profiles": ["Domain", "STANDARD"]}

    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=mixed, limit=host)

    assert run.returncode == 0, run.output[-4000:]
    registry = lab.client.registry(host)
    assert all(
        value_in(registry, path, value_name) == value
        for (path, value_name), value in standard_values().items()
    )
