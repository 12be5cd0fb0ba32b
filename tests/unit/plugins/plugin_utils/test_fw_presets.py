# -*- coding: utf-8 -*-
"""The presets hold SPEC.md's strings verbatim (typed out here, not imported)."""

from __future__ import annotations

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    format_entry,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_presets import (
    DEFAULT_PRESET,
    DEFAULT_RULES,
    PRESET_NAMES,
    preset,
    preset_strings,
)

SPEC_PORT = "135:TCP:*:Enabled:Offer Remote Assistance"
SPEC_PROGRAMS = (
    r"%WINDIR%\SYSTEM32\Sessmgr.exe:*:Enabled:Remote Assistance",
    r"%WINDIR%\PCHealth\HelpCtr\Binaries\Helpsvc.exe:*:Enabled:Offer Remote Assistance",
    r"%WINDIR%\PCHealth\HelpCtr\Binaries\Helpctr.exe:*:Enabled:"
    "Remote Assistance – Windows Messenger and Voice",
)


def test_legacy_is_the_kb_list_verbatim():
    ports, programs = preset_strings("legacy")
    assert ports == (SPEC_PORT,)
    assert programs == SPEC_PROGRAMS


def test_legacy_en_dash_is_u2013_in_utf8():
    helpctr = preset_strings("legacy")[1][2]
    assert "\u2013" in helpctr
    assert b"\xe2\x80\x93" in helpctr.encode("utf-8")
    assert "-" not in helpctr.rsplit(":", maxsplit=1)[-1]


def test_parsed_presets_format_back_to_the_same_strings():
    for name in PRESET_NAMES:
        parsed = preset(name)
        ports, programs = preset_strings(name)
        assert tuple(format_entry(entry) for entry in parsed.ports) == ports
        assert tuple(format_entry(entry) for entry in parsed.programs) == programs


def test_modern_keeps_the_port_and_names_the_modern_programs():
    ports, _programs = preset_strings("modern")
    assert ports == (SPEC_PORT,)
    paths = [entry.path for entry in preset("modern").programs]
    assert paths == [r"%SystemRoot%\System32\msra.exe", r"%SystemRoot%\System32\raserver.exe"]
    assert all(entry.enabled and entry.scope == ("*",) for entry in preset("modern").programs)


def test_none_is_empty_and_modern_is_the_default():
    assert preset("none").ports == () and preset("none").programs == ()
    assert DEFAULT_PRESET == "modern"


def test_default_rules_are_the_offer_ra_rule_names():
    assert DEFAULT_RULES == (
        "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
        "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
    )
