"""pytest-ansible's ad-hoc fixture drives win_offer_ra against a lab started by its CLI.

The lab runs in its own process here (not in the test process): pytest-ansible runs the
task queue inside pytest, whose workers are forked from it.
"""

from __future__ import annotations

import json

import pytest
from e2e_support import RA_UNSOLICIT, TS, dword, sz, value_in

from winra_lab.client import run_cli

pytestmark = pytest.mark.e2e

HELPERS = ["CONTOSO\\Helpdesk"]


@pytest.fixture(scope="module")
def cli_lab(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("cli-lab")
    inventory = run_dir / "inventory.ini"
    run_cli(run_dir, "start", "--hosts", "2", "--profile", "fresh", "--inventory", str(inventory))
    try:
        yield run_dir, inventory
    finally:
        run_cli(run_dir, "stop")


def dump(run_dir, host: str) -> dict:
    return json.loads(run_cli(run_dir, "dump", host))


def test_win_offer_ra_ad_hoc_with_ansible_adhoc(ansible_adhoc, cli_lab):
    run_dir, inventory = cli_lab
    manager = ansible_adhoc(inventory=str(inventory), host_pattern="windows")
    win_offer_ra = getattr(manager["windows"], "winra.remote_assistance.win_offer_ra")

    first = win_offer_ra(helpers=HELPERS, permission="control")
    again = win_offer_ra(helpers=HELPERS, permission="control")

    assert len(first.contacted) == 2
    for host, result in first.contacted.items():
        assert result["changed"] is True, result
        assert result["engine_runs"] == 2
        assert again[host]["changed"] is False
        assert again[host]["engine_runs"] == 1
        state = dump(run_dir, host)
        registry = state["state"]["registry"]
        assert value_in(registry, TS, "fAllowUnsolicited") == dword(1)
        assert value_in(registry, TS, "fAllowUnsolicitedFullControl") == dword(1)
        assert value_in(registry, RA_UNSOLICIT, HELPERS[0]) == sz(HELPERS[0])
        assert state["counters"]["module_runs"] == {"winra.remote_assistance.win_ra_state": 3}
