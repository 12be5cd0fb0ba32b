"""Snapshot and restore on a mixed lab fleet, checked on the lab's own state: the rollout
keeps each host's prior state on the controller, restore.yml puts it back value for value
(registry, rules, and with the Local Group Policy store the records of Registry.pol, gpt.ini's
version raised), a host changed since the rollout is left alone (and restored with force),
and a check-mode restore writes nothing."""

from __future__ import annotations

import json

import pytest
from e2e_support import RA_UNSOLICIT, RULES_MODE, TS, dword, run_playbook, sz, writes

from winra_lab.windows.group_policy import GPT_INI, MACHINE_POL, encode_pol, read_pol

pytestmark = pytest.mark.e2e

POLICY_FLEET = ["fresh", "drift-helpers", "drift-firewall", "legacy-xp-values", "compliant"]
RULES_FLEET = ["localized-nb", "server-2019", "fresh"]
LOCAL_GPO_FLEET = ["local-gpo-others", "fresh", "drift-helpers", "drift-firewall"]
REGISTRY_STORE = {"offer_remote_assistance_policy_store": "registry"}


def without_empty_keys(registry: dict) -> dict:
    """Keys the rollout created stay (empty) after a restore: the engine deletes values, never
    keys (docs/guides/restore.md). Values are compared; empty keys are left out."""
    return {path.casefold(): values for path, values in registry.items() if values}


def lab_state(lab) -> dict:
    return {
        host: (
            without_empty_keys(lab.client.registry(host)),
            sorted(json.dumps(rule, sort_keys=True) for rule in lab.client.firewall_rules(host)),
        )
        for host in lab.names
    }


def total_writes(lab) -> int:
    return sum(writes(c) for c in lab.client.counters().values())


@pytest.fixture(scope="module")
def lab(lab_of):
    return lab_of(POLICY_FLEET)


@pytest.fixture(scope="module")
def rules_lab(lab_of):
    return lab_of(RULES_FLEET)


@pytest.fixture(scope="module")
def gpo_lab(lab_of):
    return lab_of(LOCAL_GPO_FLEET)


def rollout(lab, tmp_path, snapshots, extra=None):
    """site.yml with snapshots; the registry store unless `extra` says otherwise (the Local
    Group Policy files have their own test below)."""
    run = run_playbook(
        "site.yml",
        lab.inventory,
        tmp_path,
        extra_vars={
            "offer_remote_assistance_snapshot_dir": str(snapshots),
            **REGISTRY_STORE,
            **(extra or {}),
        },
    )
    assert run.returncode == 0, run.output[-4000:]
    return run


def restore(lab, tmp_path, snapshots, *args, force=False):
    extra = {"winra_restore_snapshot_dir": str(snapshots), "winra_restore_force": force}
    return run_playbook("restore.yml", lab.inventory, tmp_path, extra_vars=extra, extra_args=args)


def test_restore_puts_a_converged_fleet_back_value_for_value(lab, tmp_path):
    lab.client.reset()
    prior = lab_state(lab)
    snapshots = tmp_path / "snapshots"
    rollout(lab, tmp_path, snapshots)
    converged = lab_state(lab)
    compliant = lab.by_profile("compliant")[0]
    changed = [host for host in lab.names if converged[host] != prior[host]]
    assert set(changed) == set(lab.names) - {compliant}
    # One snapshot per host the rollout wrote to, none for the host it left alone.
    assert sorted(p.stem for p in snapshots.glob("*.json")) == sorted(changed)
    first = json.loads((snapshots / f"{changed[0]}.json").read_text(encoding="utf-8"))
    assert {"before", "after", "sha256", "taken_at", "host"} <= set(first)

    # Check mode: what would change, nothing written.
    lab.client.reset_counters()
    check = restore(lab, tmp_path, snapshots, "--check", "--diff")
    assert check.returncode == 0, check.output[-4000:]
    assert total_writes(lab) == 0 and lab_state(lab) == converged
    assert check.changed_hosts() == set(changed)

    run = restore(lab, tmp_path, snapshots)
    assert run.returncode == 0, run.output[-4000:]
    assert lab_state(lab) == prior
    assert run.changed_hosts() == set(changed)

    # Restored is restored: a second restore finds the rollout's state gone and refuses,
    # because the host no longer holds what the rollout wrote.
    again = restore(lab, tmp_path, snapshots)
    assert again.failed_hosts() == set(changed) and lab_state(lab) == prior


def test_a_second_rollout_keeps_the_first_snapshot_unless_asked(lab, tmp_path):
    lab.client.reset()
    snapshots = tmp_path / "snapshots"
    rollout(lab, tmp_path, snapshots)
    host = lab.by_profile("fresh")[0]
    kept = (snapshots / f"{host}.json").read_bytes()
    lab.client.reset([host])
    lab.client.set_value(host, TS, "fAllowUnsolicited", "REG_DWORD", 0)
    rollout(lab, tmp_path, snapshots)
    assert (snapshots / f"{host}.json").read_bytes() == kept
    rollout(lab, tmp_path, snapshots, {"offer_remote_assistance_snapshot_overwrite": True})
    assert (snapshots / f"{host}.json").read_bytes() == kept, "nothing to write: no snapshot"
    lab.client.set_value(host, TS, "fAllowUnsolicited", "REG_DWORD", 0)
    rollout(lab, tmp_path, snapshots, {"offer_remote_assistance_snapshot_overwrite": True})
    replaced = json.loads((snapshots / f"{host}.json").read_text(encoding="utf-8"))
    ts_before = next(k for k in replaced["before"]["keys"] if k["path"].casefold() == TS.casefold())
    # The values as read (each also carries the engine's raw form, for the restore's expect).
    typed = [{k: v[k] for k in ("name", "type", "data")} for v in ts_before["values"]]
    assert {"name": "fAllowUnsolicited", **dword(0)} in typed


def test_a_host_changed_since_the_rollout_is_left_alone_then_restored_with_force(lab, tmp_path):
    lab.client.reset()
    prior = lab_state(lab)
    snapshots = tmp_path / "snapshots"
    rollout(lab, tmp_path, snapshots)
    touched, untouched = lab.by_profile("fresh")[0], lab.by_profile("drift-helpers")[0]
    # Someone adds a helper after the rollout.
    lab.client.set_value(touched, RA_UNSOLICIT, "CONTOSO\\Late", "REG_SZ", "CONTOSO\\Late")
    changed_by_hand = lab_state(lab)[touched]

    run = restore(lab, tmp_path, snapshots)
    assert run.failed_hosts() == {touched}
    said = " ".join(run.output.split())
    assert "changed since the rollout" in said and "CONTOSO\\\\Late" in said
    assert lab_state(lab)[touched] == changed_by_hand, "left alone"
    assert lab_state(lab)[untouched] == prior[untouched]

    forced = restore(lab, tmp_path, snapshots, "--limit", touched, force=True)
    assert forced.returncode == 0, forced.output[-4000:]
    assert lab_state(lab)[touched] == prior[touched]
    assert (RA_UNSOLICIT.casefold()) not in lab_state(lab)[touched][0], "the late helper too"


def test_restore_gives_the_rules_their_prior_state(rules_lab, tmp_path):
    rules_lab.client.reset()
    prior = lab_state(rules_lab)
    snapshots = tmp_path / "snapshots"
    rollout(rules_lab, tmp_path, snapshots, RULES_MODE)
    assert all(lab_state(rules_lab)[h][1] != prior[h][1] for h in rules_lab.names)
    run = restore(rules_lab, tmp_path, snapshots)
    assert run.returncode == 0, run.output[-4000:]
    assert lab_state(rules_lab) == prior


def test_a_damaged_snapshot_is_refused_and_nothing_is_written(lab, tmp_path):
    lab.client.reset()
    snapshots = tmp_path / "snapshots"
    rollout(lab, tmp_path, snapshots)
    host = lab.by_profile("fresh")[0]
    path = snapshots / f"{host}.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["before"]["keys"][0]["values"].append({"name": "Injected", **sz("x")})
    path.write_text(json.dumps(doc), encoding="utf-8")
    lab.client.reset_counters()
    run = restore(lab, tmp_path, snapshots, "--limit", host)
    assert run.failed_hosts() == {host} and "sha256" in run.output
    assert total_writes(lab) == 0


def policy_records(lab) -> dict:
    """Each host's Registry.pol records (none when there is no file) and gpt.ini version."""
    found = {}
    for host in lab.names:
        ini = lab.client.file_bytes(host, GPT_INI) or b""
        version = next(
            (int(line.split(b"=")[1]) for line in ini.splitlines() if line.startswith(b"Version=")),
            0,
        )
        found[host] = (read_pol(lab.client.file_bytes(host, MACHINE_POL) or b""), version)
    return found


def test_restore_with_the_local_group_policy_store_undoes_the_rollouts_records(gpo_lab, tmp_path):
    lab = gpo_lab
    lab.client.reset()
    prior, prior_policy = lab_state(lab), policy_records(lab)
    snapshots = tmp_path / "snapshots"
    rollout(lab, tmp_path, snapshots, {"offer_remote_assistance_policy_store": "local_gpo"})
    rolled = policy_records(lab)
    # The drifted profiles' Local Group Policy already holds the standard (their live values
    # were changed outside policy): the rollout leaves their files alone.
    written = {h for h in lab.names if rolled[h][0] != prior_policy[h][0]}
    assert written == set(lab.by_profile("local-gpo-others") + lab.by_profile("fresh"))

    run = restore(lab, tmp_path, snapshots)
    assert run.returncode == 0, run.output[-4000:]
    assert lab_state(lab) == prior, "values and rules as before"
    restored = policy_records(lab)
    for host in lab.names:
        # Record for record as before (others' records included); a file the rollout created
        # stays, empty. gpt.ini's version goes up again so that clients apply the change.
        assert restored[host][0] == prior_policy[host][0], host
        if host in written:
            assert restored[host][1] > rolled[host][1], host
        else:
            assert restored[host] == rolled[host], "a file the rollout left alone stays"
    # The next Group Policy refresh applies the restored file and keeps the prior state. (On
    # the drifted profiles a refresh would undo their drift, restored or not: their Local
    # Group Policy holds the standard, which the rollout did not touch.)
    for host in written:
        lab.client.gp_refresh(host)
    assert lab_state(lab) == prior

    # Someone else's policy record added since the rollout is not the rollout's: a second
    # rollout and restore keep it.
    lab.client.reset()
    snapshots = tmp_path / "again"
    rollout(lab, tmp_path, snapshots, {"offer_remote_assistance_policy_store": "local_gpo"})
    host = lab.by_profile("fresh")[0]
    vendor = ("Software\\Policies\\Vendor", "Later", "REG_SZ", "x")
    later = lab.client.file_bytes(host, MACHINE_POL) + encode_pol([vendor])[8:]  # no header
    lab.client.put_file(host, MACHINE_POL, later)
    run = restore(lab, tmp_path, snapshots, "--limit", host)
    assert run.returncode == 0, run.output[-4000:]
    assert read_pol(lab.client.file_bytes(host, MACHINE_POL)) == read_pol(encode_pol([vendor]))
