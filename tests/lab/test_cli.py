"""`python -m winra_lab`: start in the background, inspect, stop; inventories Ansible reads."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _lab_helpers import BIN, ansible_env

from winra_lab import inventory

pytestmark = pytest.mark.lab


def _cli(run_dir, *args, check=True):
    result = subprocess.run(
        [sys.executable, "-m", "winra_lab", "--run-dir", str(run_dir), *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check:
        assert result.returncode == 0, result.stderr + result.stdout
    return result


def _inventory_hosts(path) -> dict:
    listing = subprocess.run(
        [str(BIN / "ansible-inventory"), "-i", str(path), "--list"],
        capture_output=True,
        text=True,
        env=ansible_env(),
        check=True,
        timeout=60,
    )
    return json.loads(listing.stdout)["_meta"]["hostvars"]


def test_start_status_dump_control_stop(tmp_path):
    run_dir, inv = tmp_path / "run", tmp_path / "inventory.yml"
    started = _cli(
        run_dir,
        "start",
        "--hosts",
        "2",
        "--mix",
        "--addressing",
        "ports",
        "--inventory",
        str(inv),
        "--state-dir",
        str(tmp_path / "state"),
    )
    try:
        assert "started" in started.stdout
        info = json.loads((run_dir / "run.json").read_text())
        assert len(info["hosts"]) == 2 and info["control_url"].startswith("http://127.0.0.1:")
        status = _cli(run_dir, "status").stdout
        assert "ws001.contoso.test" in status and "ws002.contoso.test" in status
        dump = json.loads(_cli(run_dir, "dump", "ws002").stdout)
        assert dump["name"] == "ws002.contoso.test" and dump["state"]["hostname"] == "WS002"
        faults = json.loads(
            _cli(run_dir, "control", "POST", "/hosts/ws001/faults", '{"http_500_on": "any"}').stdout
        )
        assert faults["wire"]["http_500_on"] == "any"
        again = _cli(run_dir, "start", "--hosts", "1", check=False)
        assert again.returncode == 1 and "already running" in again.stderr

        hostvars = _inventory_hosts(inv)
        ws001 = hostvars["ws001.contoso.test"]
        assert (
            ws001["ansible_host"] == "127.0.0.1"
            and ws001["ansible_port"] == info["hosts"][0]["port"]
        )
        assert (
            ws001["ansible_connection"] == "winrm" and ws001["ansible_winrm_transport"] == "basic"
        )
        assert ws001["ansible_password"] == info["password"]
        assert ws001["lab_profile"] == info["hosts"][0]["profile"]
    finally:
        stopped = _cli(run_dir, "stop", check=False)
    assert stopped.returncode == 0, stopped.stderr
    assert not (run_dir / "run.json").exists()
    assert sorted(p.name for p in (tmp_path / "state").glob("*.json")) == [
        "ws001.contoso.test.json",
        "ws002.contoso.test.json",
    ]
    assert _cli(run_dir, "status", check=False).returncode != 0


def test_ini_inventory_is_read_by_ansible(tmp_path):
    hosts = [
        {"name": "ws001.contoso.test", "address": "127.0.0.2", "port": 5985, "profile": "fresh"}
    ]
    path = inventory.write(tmp_path / "hosts.ini", hosts, "lab-admin", "p@ss word'1")
    hostvars = _inventory_hosts(path)["ws001.contoso.test"]
    assert hostvars["ansible_password"] == "p@ss word'1"
    assert hostvars["ansible_port"] == 5985 and hostvars["ansible_winrm_scheme"] == "http"
    assert hostvars["ansible_winrm_server_cert_validation"] == "ignore"


def test_unknown_profile_fails_cleanly(tmp_path):
    result = _cli(tmp_path, "serve", "--hosts", "1", "--profile", "no-such-profile", check=False)
    assert result.returncode == 1 and "no-such-profile" in result.stderr
