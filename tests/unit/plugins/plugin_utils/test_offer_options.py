"""win_offer_ra options: the argument spec as Ansible runs it, then domain validation."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.winra.remote_assistance.plugins.modules import win_offer_ra
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._offer_options import (
    ARGUMENT_SPEC,
    OfferOptions,
    SolicitedOptions,
    validate_options,
)


def spec_then_validate(args: dict):
    """What the action base does: the argument spec first, then validate_options."""
    result = ArgumentSpecValidator(ARGUMENT_SPEC).validate(args)
    assert not result.error_messages, result.error_messages
    return validate_options(result.validated_parameters)


def spec_errors(args: dict) -> list[str]:
    return ArgumentSpecValidator(ARGUMENT_SPEC).validate(args).error_messages


def test_defaults_match_the_documented_table():
    options, warnings = spec_then_validate({"helpers": ["CONTOSO\\Helpdesk"]})
    assert options == OfferOptions(
        state="enabled",
        permission="view",
        helpers=("CONTOSO\\Helpdesk",),
        helpers_mode="exact",
        validate_helpers=False,
        dcom=True,
        solicited=None,
    )
    assert warnings == []


def test_every_option_is_carried_through():
    options, _unused = spec_then_validate(
        {
            "state": "enabled",
            "permission": "control",
            "helpers": ["CONTOSO\\a", "CONTOSO\\b"],
            "helpers_mode": "add",
            "validate_helpers": True,
            "dcom": False,
            "solicited": {
                "state": "disabled",
                "permission": "control",
                "max_ticket_expiry": 99,
                "max_ticket_expiry_unit": "days",
            },
        }
    )
    assert options.permission == "control"
    assert options.helpers == ("CONTOSO\\a", "CONTOSO\\b")
    assert options.helpers_mode == "add"
    assert options.validate_helpers is True
    assert options.dcom is False
    assert options.solicited == SolicitedOptions("disabled", "control", 99, "days")


def test_solicited_defaults_are_the_policy_editor_defaults():
    options, _unused = spec_then_validate({"helpers": ["C\\x"], "solicited": {}})
    assert options.solicited == SolicitedOptions("enabled", "view", 1, "hours")


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ({"state": "present"}, "state"),
        ({"permission": "full"}, "permission"),
        ({"helpers_mode": "replace"}, "helpers_mode"),
        ({"dcom": "maybe"}, "dcom"),
        ({"solicited": {"state": "on"}}, "state"),
        ({"solicited": {"max_ticket_expiry_unit": "weeks"}}, "max_ticket_expiry_unit"),
        ({"solicited": {"max_ticket_expiry": "soon"}}, "max_ticket_expiry"),
        ({"unknown_option": 1}, "unknown_option"),
    ],
)
def test_argument_spec_rejects_bad_types_and_choices(args, fragment):
    errors = spec_errors(args)
    assert errors
    assert any(fragment in message for message in errors)


@pytest.mark.parametrize("expiry", [0, -1, 100, 1000])
def test_ticket_expiry_outside_1_to_99_is_rejected(expiry):
    with pytest.raises(OptionError) as caught:
        spec_then_validate({"solicited": {"max_ticket_expiry": expiry}})
    assert caught.value.option == "solicited.max_ticket_expiry"
    assert caught.value.value == expiry
    assert "1 to 99" in caught.value.reason


@pytest.mark.parametrize("expiry", [1, 2, 50, 99])
def test_ticket_expiry_inside_1_to_99_is_accepted(expiry):
    options, _unused = spec_then_validate({"solicited": {"max_ticket_expiry": expiry}})
    assert options.solicited.max_ticket_expiry == expiry


def test_bad_helper_is_an_option_error_naming_it():
    with pytest.raises(OptionError) as caught:
        spec_then_validate({"helpers": ["CONTOSO\\ok", "contoso.com\\bob"]})
    assert caught.value.option == "helpers"
    assert caught.value.value == "contoso.com\\bob"


def test_duplicate_helpers_are_rejected_after_the_spec():
    with pytest.raises(OptionError, match="duplicate"):
        spec_then_validate({"helpers": ["CONTOSO\\Bob", "contoso\\bob"]})


def test_enabled_exact_with_no_helpers_warns():
    _unused, warnings = spec_then_validate({})
    assert len(warnings) == 1
    assert "empty helper list" in warnings[0]


@pytest.mark.parametrize("mode", ["add", "remove"])
def test_empty_helper_list_in_add_or_remove_mode_does_not_warn(mode):
    _unused, warnings = spec_then_validate({"helpers_mode": mode})
    assert warnings == []


@pytest.mark.parametrize("state", ["disabled", "absent"])
def test_helpers_with_a_state_that_clears_the_list_warn(state):
    _unused, warnings = spec_then_validate({"state": state, "helpers": ["CONTOSO\\x"]})
    assert len(warnings) == 1
    assert f"state={state}" in warnings[0]


@pytest.mark.parametrize("state", ["disabled", "absent"])
def test_no_warning_for_disabled_without_helpers(state):
    assert spec_then_validate({"state": state})[1] == []


def test_validate_options_rejects_a_bad_choice_without_the_spec():
    with pytest.raises(OptionError) as caught:
        validate_options({"state": "on"})
    assert caught.value.option == "state"


def test_validate_options_alone_applies_defaults():
    options, _unused = validate_options({"helpers": ["C\\x"]})
    assert options == OfferOptions(helpers=("C\\x",))


def _spec_view(options: dict) -> dict:
    """type / choices / default / elements / suboptions, the part docs and spec must share."""
    view = {}
    for name, entry in options.items():
        item = {key: entry.get(key) for key in ("type", "choices", "elements")}
        item["default"] = entry.get("default")
        sub = entry.get("suboptions", entry.get("options"))
        item["sub"] = _spec_view(sub) if sub else None
        view[name] = item
    return view


def test_module_documentation_matches_the_argument_spec(documented_options):
    # The snapshot options belong to the task (every module), not to the part.
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils._snapshot import (
        ARGUMENT_SPEC as SNAPSHOT_SPEC,
    )

    documented = documented_options(win_offer_ra)
    assert _spec_view(documented) == _spec_view({**ARGUMENT_SPEC, **SNAPSHOT_SPEC})


@pytest.mark.parametrize("name", ["", " ", " RemoteAssistance-DCOM-In-TCP-NoScope-Active"])
def test_required_firewall_rule_names_are_checked_naming_the_option(name):
    with pytest.raises(OptionError) as err:
        spec_then_validate({"helpers": ["C\\x"], "require_firewall_rules": ["ok", name]})
    assert err.value.option == "require_firewall_rules[1]" and err.value.value == name


def test_required_firewall_rules_drop_case_only_repeats():
    options, _unused = spec_then_validate(
        {"helpers": ["C\\x"], "require_firewall_rules": ["Rule-A", "rule-a", "Rule-B"]}
    )
    assert options.require_firewall_rules == ("Rule-A", "Rule-B")
