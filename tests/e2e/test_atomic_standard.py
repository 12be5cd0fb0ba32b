"""The role applies the whole standard in one compare-and-swap engine run: a fault at any
point leaves each host either exactly as it was or fully converged, judged on the lab's
registry and firewall rules, never on what the module says."""

from __future__ import annotations

import pytest
from e2e_support import (
    FIREWALL,
    KB_PORT,
    OFFER_RA_RULES,
    RULES_MODE,
    engine_runs,
    run_playbook,
    standard_values,
    value_in,
    writes,
)

pytestmark = pytest.mark.e2e

HOSTS = 30
DOMAIN_PORTS = f"{FIREWALL}\\DomainProfile\\GloballyOpenPorts\\List"


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["fresh"] * HOSTS)


@pytest.fixture(autouse=True)
def fresh_hosts(lab):
    lab.client.reset()
    return lab


def _state(lab, name: str) -> dict:
    state = lab.client.host(name)["state"]
    return {"registry": state["registry"], "rules": state["firewall_rules"]}


def _converged(state: dict, rules_mode: bool = False) -> bool:
    """The lab standard is on the host; in rules mode the policy lists are not part of it and
    the Offer RA rules must be enabled instead."""
    wanted = {
        key: value
        for key, value in standard_values().items()
        if not (rules_mode and key[0].startswith(FIREWALL))
    }
    values_ok = all(
        value_in(state["registry"], path, name) == value for (path, name), value in wanted.items()
    )
    if not rules_mode:
        return values_ok
    rules = {rule["name"]: rule for rule in state["rules"]}
    return values_ok and all(rules[name]["enabled"] for name in OFFER_RA_RULES)


@pytest.mark.parametrize("extra_vars", [None, RULES_MODE], ids=["policy-backend", "rules-backend"])
def test_a_write_failing_after_any_number_of_writes_leaves_each_host_all_or_nothing(
    lab, tmp_path, extra_vars
):
    before = {name: _state(lab, name) for name in lab.names}
    # Host k refuses the change after its k-th successful one (k = 0 .. HOSTS-1): the hosts
    # whose k is below the number of changes fail at every possible point of the apply, the
    # others never see the fault.
    for k, name in enumerate(lab.names):
        lab.client.set_faults(name, fail_write_after=k)
    lab.client.reset_counters()

    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=extra_vars)

    failed = run.failed_hosts()
    counters = lab.client.counters()
    outcomes = []
    for name in lab.names:
        after = _state(lab, name)
        if name in failed:
            assert after == before[name], f"{name}: a failed apply left a partial standard"
        else:
            assert _converged(after, rules_mode=extra_vars is not None), name
        outcomes.append(name in failed)
        # One read and one apply per host: the whole standard in two engine runs.
        assert engine_runs(counters[name]) == (2, 0), name
    # Failed hosts are exactly those with k below the number of changes: a prefix.
    changes = outcomes.count(True)
    assert 0 < changes < HOSTS, run.output[-4000:]
    assert outcomes == [True] * changes + [False] * (HOSTS - changes)


def test_a_change_to_the_firewall_list_before_the_apply_keeps_the_policy_out_too(lab, tmp_path):
    host = lab.names[0]
    theirs = {
        "op": "set_value",
        "path": DOMAIN_PORTS,
        "name": KB_PORT,
        "type": "REG_SZ",
        "data": "135:TCP:*:Disabled:theirs",
    }
    before = _state(lab, host)
    lab.client.set_faults(host, change_before_apply=[theirs])
    lab.client.reset_counters()

    run = run_playbook("site.yml", lab.inventory, tmp_path, limit=host)

    assert run.failed_hosts() == {host}
    after = _state(lab, host)
    # Their firewall entry is there; none of our values (policy, helpers, DCOM) is.
    assert value_in(after["registry"], DOMAIN_PORTS, KB_PORT)["data"] == theirs["data"]
    for (path, name), _value in standard_values().items():
        if (path, name) != (DOMAIN_PORTS, KB_PORT):
            assert value_in(after["registry"], path, name) == value_in(
                before["registry"], path, name
            ), (path, name)
    assert writes(lab.client.counters()[host]) == 0

    rerun = run_playbook("site.yml", lab.inventory, tmp_path, limit=host)
    assert rerun.returncode == 0, rerun.output[-4000:]
    assert _converged(_state(lab, host))


def test_bad_input_reaches_no_host(lab, tmp_path):
    before = {name: _state(lab, name) for name in lab.names}
    lab.client.reset_counters()
    bad = {
        "offer_remote_assistance_helpers": ["CONTOSO\\Helpdesk", "no-domain"],
        "offer_remote_assistance_firewall_programs": ["C:\\x\\..\\y.exe:*:Enabled:x"],
    }

    run = run_playbook("site.yml", lab.inventory, tmp_path, extra_vars=bad)

    assert run.failed_hosts() == set(lab.names)
    assert "'offer_remote_assistance_helpers': 'no-domain'" in run.output
    assert "'offer_remote_assistance_firewall_programs[0]'" in run.output
    for name, counters in lab.client.counters().items():
        assert counters["connections"] == 0 and counters["commands"] == 0, name
        assert engine_runs(counters) == (0, 0) and writes(counters) == 0, name
        assert _state(lab, name) == before[name], name
