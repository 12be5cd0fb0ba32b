"""The lab's inventory and CLI for either connection (winrm or psrp)."""

from __future__ import annotations

import pytest

from winra_lab import inventory
from winra_lab.cli import _fleet_argv, build_parser
from winra_lab.lab import Lab

pytestmark = pytest.mark.lab
HOSTS = [{"name": "ws001.contoso.test", "address": "127.0.0.2", "port": 40000, "profile": "fresh"}]


@pytest.mark.parametrize("connection", inventory.CONNECTIONS)
def test_both_connections_variables_are_written_and_one_is_chosen(connection):
    variables = inventory.connection_vars("lab-admin", "pw", "ntlm", connection)

    assert variables["ansible_connection"] == connection
    # The other connection's variables are there too: -e ansible_connection=... works.
    assert variables["ansible_winrm_transport"] == "ntlm"
    assert variables["ansible_winrm_scheme"] == "http"
    # psrp would pick HTTPS on the lab's port (not 5985) without the protocol.
    assert variables["ansible_psrp_protocol"] == "http"
    assert variables["ansible_psrp_auth"] == "negotiate"
    assert variables["ansible_psrp_cert_validation"] == "ignore"
    assert "ansible_psrp_message_encryption" not in variables  # auto: encrypted over HTTP


def test_basic_lab_turns_psrp_message_encryption_off():
    variables = inventory.connection_vars("lab-admin", "pw", "basic", "psrp")
    # pypsrp refuses Basic over HTTP with message encryption at auto.
    assert variables["ansible_psrp_auth"] == "basic"
    assert variables["ansible_psrp_message_encryption"] == "never"


def test_unknown_connection_is_refused_naming_it(tmp_path):
    with pytest.raises(ValueError, match=r"connection must be one of .* not 'ssh'"):
        inventory.connection_vars("u", "p", "basic", "ssh")
    with pytest.raises(ValueError, match="not 'ssh'"):
        Lab(hosts=1, connection="ssh", inventory_path=tmp_path / "inv.ini")


def test_ini_inventory_for_psrp(tmp_path):
    path = inventory.write(tmp_path / "hosts.ini", HOSTS, "lab-admin", "pw", "ntlm", "psrp")
    text = path.read_text()
    assert "ansible_connection=psrp" in text and "ansible_psrp_auth=negotiate" in text
    assert "ws001.contoso.test ansible_host=127.0.0.2 ansible_port=40000" in text


def test_cli_passes_the_connection_to_the_served_lab():
    args = build_parser().parse_args(["start", "--auth", "ntlm", "--connection", "psrp"])
    argv = _fleet_argv(args)
    assert argv[argv.index("--connection") + 1] == "psrp"
    assert build_parser().parse_args(["serve"]).connection == "winrm"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["start", "--connection", "ssh"])
