# -*- coding: utf-8 -*-
"""The firewall exception grammar: parse, validate, format back, identity, option errors."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    MalformedEntry,
    PortEntry,
    ProgramEntry,
    format_entry,
    parse_port,
    parse_program,
    port_from_option,
    program_from_option,
)

EN_DASH_ENTRY = (
    "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe:*:Enabled:"
    "Remote Assistance \u2013 Windows Messenger and Voice"
)

CANONICAL_PORTS = [
    "135:TCP:*:Enabled:Offer Remote Assistance",
    "1:UDP:*:Disabled:x",
    "65535:TCP:LocalSubNet:Enabled:Top port",
    "3389:TCP:10.0.0.1:Enabled:One host",
    "3389:TCP:10.0.0.0/8,192.168.1.0/24:Enabled:Two subnets",
    "3389:TCP:10.112.25.0/255.255.255.0:Enabled:Mask form",
    "8080:TCP:LocalSubNet,10.0.0.151,10.121.79.0/24:Enabled:IntranetApps",
    "135:TCP:0.0.0.0/0:Enabled:Everything by prefix",
    "135:TCP:255.255.255.255/32:Enabled:Broadcast host",
    "135:TCP:*:Enabled:Fjernhjelp \u2013 tilbud (æøå)",
]

CANONICAL_PROGRAMS = [
    "%WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance",
    EN_DASH_ENTRY,
    "C:\\Program Files\\App\\app.exe:LocalSubNet:Disabled:App",
    "c:\\x.exe:10.0.0.0/255.0.0.0,10.1.2.3:Enabled:Lower drive",
    "\\\\server\\share\\tool.exe:*:Enabled:UNC path",
    "%SystemRoot%\\System32\\msra.exe:*:Enabled:Remote Assistance",
]


@pytest.mark.parametrize("text", CANONICAL_PORTS)
def test_canonical_port_entries_round_trip(text):
    assert format_entry(parse_port(text)) == text


@pytest.mark.parametrize("text", CANONICAL_PROGRAMS)
def test_canonical_program_entries_round_trip(text):
    assert format_entry(parse_program(text)) == text


def test_en_dash_survives_byte_exact():
    entry = parse_program(EN_DASH_ENTRY)
    assert entry.name == "Remote Assistance \u2013 Windows Messenger and Voice"
    assert format_entry(entry).encode("utf-8") == EN_DASH_ENTRY.encode("utf-8")
    assert "\u2013".encode() in format_entry(entry).encode("utf-8")


def test_port_fields_are_parsed():
    entry = parse_port("135:tcp:localsubnet,10.0.0.0/8:enabled:Offer Remote Assistance")
    assert entry == PortEntry(
        135, "TCP", ("LocalSubNet", "10.0.0.0/8"), True, "Offer Remote Assistance"
    )
    # Non-canonical spellings are written canonically.
    assert format_entry(entry) == "135:TCP:LocalSubNet,10.0.0.0/8:Enabled:Offer Remote Assistance"


def test_status_and_protocol_are_case_insensitive():
    assert parse_port("53:uDp:*:DISABLED:dns").enabled is False
    assert parse_port("53:uDp:*:DISABLED:dns").protocol == "UDP"


def test_program_with_drive_colon_is_parsed_from_the_right():
    entry = parse_program("C:\\Tools\\ra.exe:*:Disabled:Tool")
    assert entry == ProgramEntry("C:\\Tools\\ra.exe", ("*",), False, "Tool")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0:TCP:*:Enabled:x", "outside 1-65535"),
        ("65536:TCP:*:Enabled:x", "outside 1-65535"),
        ("-1:TCP:*:Enabled:x", "not a number"),
        ("abc:TCP:*:Enabled:x", "not a number"),
        (":TCP:*:Enabled:x", "not a number"),
        ("135:ICMP:*:Enabled:x", "not TCP or UDP"),
        ("135:TCP6:*:Enabled:x", "not TCP or UDP"),
        ("135:TCP:*:On:x", "not Enabled or Disabled"),
        ("135:TCP::Enabled:x", "scope is empty"),
        ("135:TCP:any:Enabled:x", "not an IPv4 address"),
        ("135:TCP:*,10.0.0.1:Enabled:x", "cannot be combined"),
        ("135:TCP:10.0.0.256:Enabled:x", "not an IPv4 address"),
        ("135:TCP:10.0.0:Enabled:x", "not an IPv4 address"),
        ("135:TCP:010.0.0.1:Enabled:x", "not an IPv4 address"),
        ("135:TCP:10.0.0.1,:Enabled:x", "not an IPv4 address"),
        ("135:TCP:10.0.0.1, 10.0.0.2:Enabled:x", "not an IPv4 address"),
        ("135:TCP:10.0.0.0/33:Enabled:x", "expected a prefix 0-32"),
        ("135:TCP:10.0.0.0/:Enabled:x", "expected a prefix 0-32"),
        ("135:TCP:10.0.0.0/255.0.255.0:Enabled:x", "netmask"),
        ("135:TCP:fe80::1:Enabled:x", "expected 5 fields"),
        ("135:TCP:*:Enabled:", "name is empty"),
        ("135:TCP:*:Enabled:   ", "name is empty"),
        ("135:TCP:*:Enabled:a:b", "expected 5 fields"),
        ("135:TCP:*:Enabled", "expected 5 fields"),
        ("135:TCP", "expected 5 fields"),
        ("", "expected 5 fields"),
        ("135:TCP:*:Enabled:tab\there", "control character"),
    ],
)
def test_invalid_port_entries(text, reason):
    with pytest.raises(MalformedEntry, match=reason):
        parse_port(text)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (":*:Enabled:x", "path is empty"),
        ("C:\\x.exe:*:Enabled:", "name is empty"),
        ("C:\\x.exe:*:Maybe:x", "not Enabled or Disabled"),
        ("C:\\x.exe:10.0.0.300:Enabled:x", "not an IPv4 address"),
        ("C:\\x.exe:*:Enabled:My:App", "not a drive colon"),
        ("C:\\x.exe:*:Enabled:a:*:Enabled:b", "not a drive colon"),
        ("C:\\x.exe:*:Enabled", "expected 4 fields"),
        ("C:\\x.exe:*:Enabled:x:y", "not a drive colon"),
        ("x.exe", "expected 4 fields"),
    ],
)
def test_invalid_program_entries(text, reason):
    with pytest.raises(MalformedEntry, match=reason):
        parse_program(text)


def test_port_identity_is_port_and_protocol():
    a = parse_port("135:TCP:*:Enabled:Offer Remote Assistance")
    b = parse_port("135:tcp:LocalSubNet:Disabled:Something else")
    c = parse_port("135:UDP:*:Enabled:Offer Remote Assistance")
    assert a.identity == b.identity
    assert a.identity != c.identity


def test_program_identity_ignores_case_but_not_environment_variables():
    a = parse_program("%WINDIR%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance")
    b = parse_program("%windir%\\system32\\sessmgr.EXE:LocalSubNet:Disabled:Other")
    c = parse_program("%SystemRoot%\\SYSTEM32\\Sessmgr.exe:*:Enabled:Remote Assistance")
    assert a.identity == b.identity
    assert a.identity != c.identity
    assert a.path == "%WINDIR%\\SYSTEM32\\Sessmgr.exe"


def test_port_dict_form_gives_the_same_entry():
    entry = port_from_option(
        {
            "port": 135,
            "protocol": "tcp",
            "scope": ["LocalSubNet", "10.0.0.0/8"],
            "enabled": True,
            "name": "Offer Remote Assistance",
        },
        "ports[0]",
    )
    assert entry == parse_port("135:TCP:LocalSubNet,10.0.0.0/8:Enabled:Offer Remote Assistance")


def test_dict_defaults_scope_any_and_enabled():
    port = port_from_option({"port": "135", "protocol": "TCP", "name": "RA"}, "ports[0]")
    assert format_entry(port) == "135:TCP:*:Enabled:RA"
    program = program_from_option({"path": "C:\\a.exe", "name": "A", "enabled": False}, "p")
    assert format_entry(program) == "C:\\a.exe:*:Disabled:A"


def test_program_dict_form_keeps_the_en_dash():
    entry = program_from_option(
        {
            "path": "%WINDIR%\\PCHealth\\HelpCtr\\Binaries\\Helpctr.exe",
            "scope": "*",
            "enabled": True,
            "name": "Remote Assistance \u2013 Windows Messenger and Voice",
        },
        "programs[0]",
    )
    assert format_entry(entry) == EN_DASH_ENTRY


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ({"port": 0, "protocol": "TCP", "name": "x"}, "outside 1-65535"),
        ({"port": True, "protocol": "TCP", "name": "x"}, "must be an integer"),
        ({"port": 135, "protocol": "TCP"}, "missing field"),
        ({"port": 135, "protocol": "TCP", "name": "x", "colour": "red"}, "unknown field"),
        ({"port": 135, "protocol": "TCP", "name": "x", "enabled": "perhaps"}, "boolean"),
        ({"port": 135, "protocol": "TCP", "name": "x", "scope": 7}, "scope must be"),
        (135, "string or a dict"),
    ],
)
def test_bad_port_option_names_option_and_value(value, reason):
    with pytest.raises(OptionError, match=reason) as caught:
        port_from_option(value, "ports[2]")
    assert caught.value.option == "ports[2]"
    assert caught.value.value == value
    assert "ports[2]" in str(caught.value)


def test_bad_program_option_names_option_and_value():
    with pytest.raises(OptionError) as caught:
        program_from_option("C:\\x.exe:*:Enabled:", "programs[0]")
    message = str(caught.value)
    assert "'programs[0]'" in message
    assert "C:\\\\x.exe:*:Enabled:" in message
    assert "name is empty" in message
