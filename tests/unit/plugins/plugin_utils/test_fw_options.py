# -*- coding: utf-8 -*-
"""win_ra_firewall options: defaults per backend and bad input naming option and value."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    format_entry,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_options import (
    ARGUMENT_SPEC,
    validate,
)


def checked(args: dict):
    """The argument spec first (as the action plugin does), then validate."""
    result = ArgumentSpecValidator(ARGUMENT_SPEC).validate(args)
    assert not result.error_messages, result.error_messages
    return validate(result.validated_parameters)


def test_defaults_are_policy_modern_both_profiles():
    opts = checked({})
    assert (opts.backend, opts.state, opts.exclusive) == ("policy", "present", False)
    assert opts.profiles == ("domain", "standard")
    assert [format_entry(p) for p in opts.ports] == ["135:TCP:*:Enabled:Offer Remote Assistance"]
    assert [p.path for p in opts.programs] == [
        "%SystemRoot%\\System32\\msra.exe",
        "%SystemRoot%\\System32\\raserver.exe",
    ]
    assert opts.rules == ()


def test_rules_backend_defaults():
    opts = checked({"backend": "rules"})
    assert opts.profiles == ("domain",)
    assert opts.rules == (
        "RemoteAssistance-DCOM-In-TCP-NoScope-Active",
        "RemoteAssistance-RAServer-In-TCP-NoScope-Active",
    )
    assert opts.ports == () and opts.programs == ()


def test_explicit_ports_replace_the_presets_ports_only():
    opts = checked(
        {
            "preset": "legacy",
            "ports": [
                "3389:tcp:*:enabled:RD",
                {"port": 135, "protocol": "TCP", "name": "Offer Remote Assistance"},
            ],
        }
    )
    assert [format_entry(p) for p in opts.ports] == [
        "3389:TCP:*:Enabled:RD",
        "135:TCP:*:Enabled:Offer Remote Assistance",
    ]
    assert len(opts.programs) == 3


def test_empty_lists_mean_no_entries():
    opts = checked({"ports": [], "programs": []})
    assert opts.ports == () and opts.programs == ()


def test_profiles_are_normalised_and_ordered():
    assert checked({"profiles": ["Standard", "domain", "DOMAIN"]}).profiles == (
        "domain",
        "standard",
    )
    assert checked({"backend": "rules", "profiles": ["public", "domain"]}).profiles == (
        "domain",
        "public",
    )


@pytest.mark.parametrize(
    ("args", "option", "value_text"),
    [
        ({"ports": ["0:TCP:*:Enabled:x"]}, "ports[0]", "0:TCP:*:Enabled:x"),
        ({"ports": ["135:TCP:*:Enabled:a", "135:TCP:*:Enabled:b"]}, "ports[1]", "Enabled:b"),
        ({"programs": ["C:\\a.exe:*:Enabled:A", "c:\\A.EXE:*:Enabled:B"]}, "programs[1]", "A.EXE"),
        ({"programs": [42]}, "programs[0]", "42"),
        ({"profiles": ["private"]}, "profiles[0]", "private"),
        ({"profiles": []}, "profiles", "[]"),
        ({"backend": "rules", "profiles": ["standard"]}, "profiles[0]", "standard"),
        ({"backend": "rules", "ports": []}, "ports", "[]"),
        ({"backend": "rules", "programs": ["C:\\a.exe:*:Enabled:A"]}, "programs", "a.exe"),
        ({"backend": "rules", "exclusive": True}, "exclusive", "True"),
        ({"backend": "rules", "rules": []}, "rules", "[]"),
        ({"backend": "rules", "rules": [" "]}, "rules[0]", "' '"),
        ({"rules": ["RemoteAssistance-DCOM-In-TCP-NoScope-Active"]}, "rules", "DCOM"),
    ],
)
def test_bad_input_names_the_option_and_the_value(args, option, value_text):
    with pytest.raises(OptionError) as caught:
        checked(args)
    assert caught.value.option == option
    assert f"'{option}'" in str(caught.value)
    assert value_text in str(caught.value)


def test_argument_spec_rejects_unknown_choices():
    result = ArgumentSpecValidator(ARGUMENT_SPEC).validate({"preset": "xp"})
    assert any("preset" in message for message in result.error_messages)
