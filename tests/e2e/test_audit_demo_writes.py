"""`make demo`'s converge summary counts every kind of write the lab saw: registry values and
firewall rules (a rules-backend converge writes rules and few or no values)."""

from __future__ import annotations

import re
import sys

import pytest
from e2e_support import REPO, run_playbook

sys.path.insert(0, str(REPO / "tools"))
import demo

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["server-2019", "compliant"])


def test_a_rules_backend_converge_is_summarised_with_its_rule_writes(lab, tmp_path):
    server = lab.by_profile("server-2019")[0]
    lab.client.reset_counters()
    rules_before = demo.rule_writes(lab.client)
    state_before = lab.client.host(server)["state"]["firewall_writes"]

    run = run_playbook(
        "site.yml", lab.inventory, tmp_path, extra_vars=demo.RULES_BACKEND, limit=server
    )
    assert run.returncode == 0, run.output[-3000:]

    said = demo.writes_since(lab.client, rules_before)
    values, rules = map(
        int, re.fullmatch(r"(\d+) registry value writes, (\d+) firewall rule writes", said).groups()
    )
    rule_writes = lab.client.host(server)["state"]["firewall_writes"] - state_before
    assert rule_writes > 0, "the rules backend enabled rules"
    assert rules == rule_writes, said
    assert values == sum(c["registry_writes"] for c in lab.client.counters().values())
