"""The statuses the modules produce, on lab hosts set up for them, checked on the lab's own
state: a value a domain GPO sets differently is reported as a conflict naming the GPO and is
not written (so a Group Policy refresh finds nothing to put back); a host whose policy is
right but where Offer Remote Assistance cannot work says why in `functional_problems`."""

from __future__ import annotations

import json

import pytest
from e2e_support import TS, dword, run_playbook, value_in, writes

pytestmark = pytest.mark.e2e

GPO = "RA Baseline (view only)"
PERMISSION = "fAllowUnsolicitedFullControl"

# The role, then each host's registered result written on the controller as JSON.
PLAYBOOK = """
- name: Converge and keep each host's result
  hosts: windows
  gather_facts: false
  roles:
    - role: winra.remote_assistance.offer_remote_assistance
  post_tasks:
    - name: Keep the result on the controller
      ansible.builtin.copy:
        content: "{{ offer_remote_assistance_result | to_json }}"
        dest: "{{ winra_results_dir }}/{{ inventory_hostname }}.json"
        mode: "0644"
      delegate_to: localhost
      check_mode: false  # the controller-side record, also of a check-mode run
      vars:
        ansible_connection: local
        ansible_python_interpreter: "{{ ansible_playbook_python }}"
"""


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["gpo-conflict", "server-no-ra", "compliant"])


def converge(lab, tmp_path, check=False) -> tuple:
    playbook = tmp_path / "converge-and-keep.yml"
    playbook.write_text(PLAYBOOK, encoding="utf-8")
    results = tmp_path / "results"
    results.mkdir(exist_ok=True)
    for stale in results.glob("*.json"):
        stale.unlink()
    args = ("--check",) if check else ()
    run = run_playbook(
        str(playbook),
        lab.inventory,
        tmp_path,
        # The live values are the subject here; the Local Group Policy file is another store
        # with its own tests (test_local_gpo_store.py).
        extra_vars={
            "winra_results_dir": str(results),
            "offer_remote_assistance_policy_store": "registry",
        },
        extra_args=args,
    )
    assert run.returncode == 0, run.output[-4000:]
    kept = {path.stem: json.loads(path.read_text()) for path in results.glob("*.json")}
    return run, kept


def test_a_value_the_gpo_sets_is_reported_as_a_conflict_and_never_written(lab, tmp_path):
    lab.client.reset()
    fought = lab.by_profile("gpo-conflict")[0]
    before = lab.client.registry(fought)

    run, results = converge(lab, tmp_path)
    result = results[fought]
    assert [(c["name"], c["gpo"], c["gpo_value"]) for c in result["gpo_conflicts"]] == [
        (PERMISSION, GPO, dword(0))
    ]
    assert [d["name"] for d in result["drift"]] == [PERMISSION], "it does differ: drift"
    assert result["changed"] is False
    assert writes(lab.client.counters(fought)) == 0
    assert lab.client.registry(fought) == before
    said = " ".join(run.output.split())
    assert "Not written" in said and GPO in said

    # The refresh finds its values in place: no flap.
    lab.client.gp_refresh(fought)
    assert value_in(lab.client.registry(fought), TS, PERMISSION) == dword(0)
    assert lab.client.registry(fought) == before


def test_functional_problems_name_what_stops_offer_remote_assistance(lab, tmp_path):
    lab.client.reset()
    server, fine = lab.by_profile("server-no-ra")[0], lab.by_profile("compliant")[0]
    assert lab.client.file(server, "C:\\Windows\\System32\\msra.exe")["exists"] is False
    assert lab.client.file(fine, "C:\\Windows\\System32\\msra.exe")["exists"] is True

    _run, results = converge(lab, tmp_path)
    problems = results[server]["functional_problems"]
    assert results[server]["offer"]["functional_problems"] == problems
    assert len(problems) == 3
    assert "msra.exe is missing" in problems[0]
    assert all("does not exist" in problem for problem in problems[1:])
    assert results[fine]["functional_problems"] == []
    assert results[fine]["offer"]["functional_problems"] == []

    # The policy itself converged on the server: it is the host that cannot work.
    _run, again = converge(lab, tmp_path, check=True)
    assert again[server]["drift"] == [] and again[server]["functional_problems"] == problems
