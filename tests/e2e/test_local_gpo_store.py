"""policy_store local_gpo on the lab: Registry.pol and gpt.ini written with the live values in
one apply, a Group Policy refresh keeps them, others' records survive byte for byte, faults
leave the previous files intact, and the registry store touches no file. Checked on the lab's
own state (registry, files, counters), not only on what the modules say."""

from __future__ import annotations

import json

import pytest
from e2e_support import (
    HELPERS,
    RA_UNSOLICIT,
    TS,
    delete_op,
    dword,
    engine_runs,
    records_by_host,
    run_audit,
    run_playbook,
    standard_values,
    sz,
    value_in,
    writes,
)

from winra_lab.windows.group_policy import GPT_INI, MACHINE_POL, read_pol
from winra_lab.windows.profiles import OTHERS_GPT_INI

pytestmark = pytest.mark.e2e

UPDATE_KEY = "HKLM:\\Software\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU"
REGISTRY_STORE = {"offer_remote_assistance_policy_store": "registry"}


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(["local-gpo-others", "fresh", "compliant"])


@pytest.fixture(autouse=True)
def reset_hosts(lab):
    lab.client.reset()
    return lab


@pytest.fixture
def others(lab):
    return lab.by_profile("local-gpo-others")[0]


def converge(lab, tmp_path, host, extra_vars=None, extra_args=()):
    return run_playbook(
        "site.yml", lab.inventory, tmp_path, extra_vars=extra_vars, limit=host,
        extra_args=extra_args,
    )  # fmt: skip


def file_writes(lab, host) -> int:
    return lab.client.files(host)["writes"]


def records(data: bytes) -> list[tuple]:
    return read_pol(data)


def holds_standard(registry: dict) -> list:
    """The standard's values the host does not hold (empty: it holds all of them)."""
    return [
        (path, name)
        for (path, name), value in standard_values().items()
        if value_in(registry, path, name) != value
    ]


def test_apply_writes_files_and_values_and_a_refresh_keeps_them(lab, tmp_path, others):
    before = lab.client.file_bytes(others, MACHINE_POL)
    run = converge(lab, tmp_path, others)
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap[others]["changed"] == 1

    pol = lab.client.file_bytes(others, MACHINE_POL)
    # Others' records first, unchanged byte for byte and in order; ours after them.
    assert pol.startswith(before)
    ours = records(pol)[len(records(before)) :]
    assert ("Software\\Policies\\Microsoft\\Windows NT\\Terminal Services\\RAUnsolicit",
            "**delvals.") in [(k, v) for k, v, _t, _d in ours]  # fmt: skip
    ini = lab.client.file_bytes(others, GPT_INI)
    assert b"Version=65540\r\n" in ini, ini  # machine half 3 -> 4, user half kept
    assert ini.replace(b"Version=65540", b"Version=65539") == OTHERS_GPT_INI
    assert holds_standard(lab.client.registry(others)) == []

    answer = lab.client.gp_refresh(others)
    assert answer["local_policy"]["local_policy"] == "applied", answer
    registry = lab.client.registry(others)
    assert holds_standard(registry) == []
    assert value_in(registry, UPDATE_KEY, "NoAutoUpdate") == dword(0)
    assert value_in(registry, TS, "fDisableCdm") == dword(1)


def test_a_deleted_live_value_comes_back_at_the_refresh(lab, tmp_path, others):
    assert converge(lab, tmp_path, others).returncode == 0
    lab.client.edit_registry(
        others, [delete_op(TS, "fAllowUnsolicited"), delete_op(RA_UNSOLICIT, HELPERS[0])]
    )
    assert value_in(lab.client.registry(others), TS, "fAllowUnsolicited") is None

    lab.client.gp_refresh(others)
    registry = lab.client.registry(others)
    assert value_in(registry, TS, "fAllowUnsolicited") == dword(1)
    assert value_in(registry, RA_UNSOLICIT, HELPERS[0]) == sz(HELPERS[0])


def test_a_second_run_changes_nothing_and_writes_nothing(lab, tmp_path, others):
    assert converge(lab, tmp_path, others).returncode == 0
    pol = lab.client.file_bytes(others, MACHINE_POL)
    lab.client.reset_counters()
    files_before = file_writes(lab, others)

    run = converge(lab, tmp_path, others)
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap[others]["changed"] == 0
    assert writes(lab.client.counters(others)) == 0
    assert file_writes(lab, others) == files_before
    assert lab.client.file_bytes(others, MACHINE_POL) == pol


def test_check_mode_reports_and_writes_nothing(lab, tmp_path, others):
    before = lab.client.file_bytes(others, MACHINE_POL)
    run = converge(lab, tmp_path, others, extra_args=("--check",))
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap[others]["changed"] == 1
    assert writes(lab.client.counters(others)) == 0 and file_writes(lab, others) == 0
    assert lab.client.file_bytes(others, MACHINE_POL) == before


@pytest.mark.parametrize(
    "fault, error",
    [
        ({"torn_write": {GPT_INI: 7}}, "write_failed"),
        ({"locked": {MACHINE_POL: None}}, "file_locked"),
    ],
)
def test_a_torn_or_locked_file_leaves_everything_as_it_was(lab, tmp_path, others, fault, error):
    pol, ini = (lab.client.file_bytes(others, p) for p in (MACHINE_POL, GPT_INI))
    registry = lab.client.registry(others)
    lab.client.set_file_faults(others, **fault)

    run = converge(lab, tmp_path, others, extra_args=("-v",))
    assert run.returncode != 0 and run.recap[others]["failed"] == 1
    said = " ".join(run.output.split())
    assert "being used by another process" in said or "stopped after 7" in said, said[-3000:]
    assert f'"error": "{error}"' in run.output and '"retryable": true' in run.output
    lab.client.clear_faults(others)
    assert lab.client.file_bytes(others, MACHINE_POL) == pol
    assert lab.client.file_bytes(others, GPT_INI) == ini
    assert lab.client.registry(others) == registry
    assert writes(lab.client.counters(others)) == 0


def test_a_file_locked_for_a_moment_is_tried_again_and_the_task_succeeds(lab, tmp_path, others):
    # As while the Group Policy service applies Registry.pol: locked for one access.
    lab.client.set_file_faults(others, locked={MACHINE_POL: 1})
    lab.client.reset_counters()
    run = converge(lab, tmp_path, others)
    assert run.returncode == 0, run.output[-4000:]
    assert "was locked by another process" in " ".join(run.output.split())
    assert holds_standard(lab.client.registry(others)) == []
    names = {
        name for _key, name, _type, _data in records(lab.client.file_bytes(others, MACHINE_POL))
    }
    assert {"fAllowUnsolicited", "fAllowUnsolicitedFullControl", *HELPERS} <= names
    assert engine_runs(lab.client.counters(others))[0] == 3, "read, read again, apply"


def test_the_registry_store_touches_no_file(lab, tmp_path, others):
    before = {path: lab.client.file_bytes(others, path) for path in (MACHINE_POL, GPT_INI)}
    run = converge(lab, tmp_path, others, extra_vars=REGISTRY_STORE)
    assert run.returncode == 0, run.output[-4000:]
    assert run.recap[others]["changed"] == 1
    assert holds_standard(lab.client.registry(others)) == []
    assert file_writes(lab, others) == 0
    assert {path: lab.client.file_bytes(others, path) for path in before} == before


def test_a_registry_pol_that_does_not_parse_fails_clearly_and_nothing_is_written(
    lab, tmp_path, others
):
    broken = lab.client.file_bytes(others, MACHINE_POL)[:-5]
    lab.client.put_file(others, MACHINE_POL, broken)
    lab.client.reset_counters()

    run = converge(lab, tmp_path, others)
    assert run.returncode != 0 and run.recap[others]["failed"] == 1
    said = " ".join(run.output.split())
    assert f"Host '{others}'" in said and "Registry.pol" in said and "byte offset" in said
    assert writes(lab.client.counters(others)) == 0 and file_writes(lab, others) == 0
    assert lab.client.file_bytes(others, MACHINE_POL) == broken


def test_absent_removes_only_our_records(lab, tmp_path, others):
    before = lab.client.file_bytes(others, MACHINE_POL)
    assert converge(lab, tmp_path, others).returncode == 0
    run = converge(lab, tmp_path, others, {"offer_remote_assistance_state": "absent"})
    assert run.returncode == 0, run.output[-4000:]

    left = records(lab.client.file_bytes(others, MACHINE_POL))
    assert left[: len(records(before))] == records(before), "others' records, in order"
    ours = left[len(records(before)) :]
    # What stays of ours: the lists' Enabled flags (other entries may rely on them).
    assert {value for _key, value, _type, _data in ours} == {"Enabled"}
    lab.client.gp_refresh(others)
    registry = lab.client.registry(others)
    assert value_in(registry, TS, "fAllowUnsolicited") is None
    assert value_in(registry, UPDATE_KEY, "NoAutoUpdate") == dword(0)


def test_the_audit_shows_registry_pol_and_live_side_by_side(lab, tmp_path, others):
    assert converge(lab, tmp_path, others).returncode == 0
    lab.client.edit_registry(others, [delete_op(TS, "fAllowUnsolicited")])
    run = converge(lab, tmp_path, others, extra_args=("--check", "-v"))
    assert run.returncode == 0, run.output[-4000:]
    result = _task_result(run.output)
    rows = [row for row in result["local_policy"]["values"] if row["status"] == "differs"]
    assert [(row["name"], row["policy"], row["live"]) for row in rows] == [
        ("fAllowUnsolicited", dword(1), None)
    ]
    assert result["offer"]["local_policy"]["differs"] == 1

    _run, report, _markdown = run_audit(lab.inventory, tmp_path, limit=others)
    record = records_by_host(report)[others]
    assert [
        (row["module"], row["name"])
        for row in record["local_policy"]["values"]
        if row["status"] == "differs"
    ] == [("win_offer_ra", "fAllowUnsolicited")]


def _task_result(output: str) -> dict:
    """The JSON result `-v` prints after `changed: [host] =>` / `ok: [host] =>`."""
    start = output.index("=> {", output.index(": Offer Remote Assistance standard"))
    return json.JSONDecoder().raw_decode(output[start + 3 :])[0]


def test_right_live_values_without_the_policy_records_are_drift_not_compliance(lab, tmp_path):
    # The `compliant` profile holds the standard as Group Policy applied it: file and values.
    host = lab.by_profile("compliant")[0]
    run, report, _ = run_audit(lab.inventory, tmp_path, limit=host)
    record = records_by_host(report)[host]
    assert run.returncode == 0 and record["status"] == "compliant", record
    # The same live values, but the Local Group Policy no longer holds the standard (someone
    # reset it in the editor): a converge would write the file, so the audit says drifted.
    lab.client.put_file(host, MACHINE_POL, None)
    run, report, markdown = run_audit(lab.inventory, tmp_path, limit=host)
    record = records_by_host(report)[host]
    assert record["status"] == "drifted", record
    settings = {item["setting"] for item in record["drift"]}
    assert settings == {"local_group_policy"}, record["drift"]
    assert report["summary"]["settings"]["local_group_policy"]["hosts"] == 1
    assert "local_group_policy" in markdown
    # A converge writes the file and no registry value; then the host is compliant again.
    lab.client.reset_counters()
    assert converge(lab, tmp_path, host).returncode == 0
    assert writes(lab.client.counters(host)) == 0
    assert lab.client.file_bytes(host, MACHINE_POL) is not None
    _, report, _ = run_audit(lab.inventory, tmp_path, limit=host)
    assert records_by_host(report)[host]["status"] == "compliant"
