"""The benchmark compares like with like, and its figures are computed as documented.

The end-to-end test is the one that matters: the hand-rolled win_regedit playbook and the
collection's role must leave a fresh lab host with exactly the same registry, or the
benchmark would compare two different jobs.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import ansible_windows  # noqa: E402
from bench.figures import markdown_table, measure, ratio_table, values_off_standard  # noqa: E402
from bench.labctl import LabSession  # noqa: E402
from bench.playbook_run import ansible_env, parse_recap, run_playbook  # noqa: E402
from bench.scenarios import DRIFT, HANDROLLED, OURS, Playbook  # noqa: E402

RECAP = """\
PLAY RECAP *********************************************************************
ws001.contoso.test         : ok=6    changed=5    unreachable=0    failed=0    skipped=0    rescued=0    ignored=0
ws002.contoso.test         : ok=2    changed=0    unreachable=1    failed=1    skipped=0    rescued=0    ignored=0
"""


def _snapshot(**overrides) -> dict:
    base = {"module_runs_total": 2, "commands": 2, "requests": 14, "bytes_in": 2048,
            "bytes_out": 1024, "registry_writes": 0}  # fmt: skip
    return {**base, **overrides}


def test_recap_lines_become_counts_per_host():
    recap = parse_recap("ws001.contoso.test : ok=9 changed=9\n" + RECAP)
    assert recap == {
        "ws001.contoso.test": {"ok": 6, "changed": 5, "unreachable": 0, "failed": 0},
        "ws002.contoso.test": {"ok": 2, "changed": 0, "unreachable": 1, "failed": 1},
    }


def test_hosts_that_disagree_show_a_range_not_a_mean():
    counters = {"a": _snapshot(requests=14), "b": _snapshot(requests=20)}
    m = measure("s", "p", counters, {"a": {"changed": 1}, "b": {"changed": 1}}, 1.0, 2048)
    assert m.per_host["requests"] == (14, 20)
    assert m.totals["requests"] == 34
    with pytest.raises(ValueError, match="requests differs"):
        m.count("requests")
    row = markdown_table([m]).splitlines()[2]
    assert "| 14–20 |" in row
    assert "| 2.0 | 1.0 |" in row  # KiB in, KiB out


def test_ratio_is_baseline_over_ours_per_scenario():
    ours = measure("s", "ours", {"a": _snapshot()}, {}, 1.0, 1)
    theirs = measure("s", "theirs", {"a": _snapshot(module_runs_total=17, requests=97)}, {}, 1.0, 1)
    row = ratio_table([ours, theirs], ours="ours", baseline="theirs").splitlines()[2]
    assert row.startswith("| s | 8.5× | 6.9× | 1.0× | 1.0× |")


def test_values_off_standard_counts_missing_extra_and_changed_values_only():
    dword = {"type": "REG_DWORD", "data": 1}
    standard = {"HKLM:\\A": {"One": dword, "Two": dword}, "HKLM:\\B": {}}
    assert values_off_standard({"hklm:\\a": {"one": dword, "TWO": dword}}, standard) == 0
    drifted = {
        "HKLM:\\A": {"One": {"type": "REG_SZ", "data": 1}},  # type differs; Two missing
        "HKLM:\\C": {"Extra": dword},
    }
    assert values_off_standard(drifted, standard) == 3


def test_the_wheel_pin_is_read_from_requirements(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("ansible-core==2.19.14\n# download-only: ansible==12.3.0\n")
    assert ansible_windows.pinned_version(requirements) == "12.3.0"
    requirements.write_text("ansible==12.3.0\n")  # an installed pin is not the download pin
    with pytest.raises(RuntimeError, match="download-only"):
        ansible_windows.pinned_version(requirements)


# ------------------------------------------------------------------ end to end


@pytest.fixture(scope="module")
def ansible_environment():
    subprocess.run([sys.executable, str(ROOT / "tools" / "link_collection.py")], check=True)
    return ansible_env([ROOT / "collections", ansible_windows.ensure()])


def _converge(lab: LabSession, playbook: Playbook, env: dict, log: Path, check: bool = False):
    run = run_playbook(
        playbook.path, [*playbook.extra_inventories, lab.inventory], env, log, check_mode=check
    )
    assert run.ok, f"{playbook.name} failed; see {log}"
    return run


@pytest.mark.e2e
def test_handrolled_playbook_reaches_the_same_registry_as_the_role(ansible_environment, tmp_path):
    with LabSession(1) as lab:
        host = lab.host_names[0]
        fresh = lab.client.registry(host)
        _converge(lab, OURS, ansible_environment, tmp_path / "ours.log")
        ours = lab.client.registry(host)
        lab.client.reset()
        assert lab.client.registry(host) == fresh
        _converge(lab, HANDROLLED, ansible_environment, tmp_path / "handrolled.log")
        handrolled = lab.client.registry(host)

    with LabSession(1, profile="compliant") as lab:
        compliant = lab.client.registry(lab.host_names[0])

    assert ours != fresh
    assert handrolled == ours
    # `bench/run.py --quick` seeds converged hosts from this profile instead of converging.
    assert compliant == ours
    programs = ours["HKLM:\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\StandardProfile"
                    "\\AuthorizedApplications\\List"]  # fmt: skip
    assert any("Remote Assistance \u2013 Windows Messenger and Voice" in name for name in programs)


@pytest.mark.e2e
def test_seeded_drift_is_drift_that_check_mode_reports_and_leaves(ansible_environment, tmp_path):
    with LabSession(1) as lab:
        host = lab.host_names[0]
        _converge(lab, OURS, ansible_environment, tmp_path / "converge.log")
        lab.client.edit_registry(host, list(DRIFT))
        drifted = lab.client.registry(host)
        lab.client.reset_counters()
        run = _converge(lab, OURS, ansible_environment, tmp_path / "audit.log", check=True)
        counters = lab.client.counters()[host]
        after = lab.client.registry(host)

    assert run.recap[host]["changed"] == 1  # the role's one task (both parts drifted)
    assert counters["module_runs_total"] == 1  # one check-mode engine run for the standard
    assert counters["registry_writes"] == 0
    assert after == drifted
