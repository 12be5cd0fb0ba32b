"""Inputs that used to slip through or crash: every one fails naming the option and value,
every bad item of a list is named, and names compare by the registry's rule."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.action import (
    win_offer_ra,
    win_ra_firewall,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _offer_policy
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._accounts import (
    helper_key,
    validate_helpers,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import OptionError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_grammar import (
    program_from_option,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._offer_options import (
    OfferOptions,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantAbsent,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    MAX_VALUE_NAME,
    name_key,
    ordinal_ignore_case,
)

RAU = "HKLM:\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\RAUnsolicit"


# -- one name rule: ordinal ignore-case with upper-case mapping ------------------------------


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("CONTOSO\\STRASSE", "CONTOSO\\straße", False),
        ("CONTOSO\\Bob", "contoso\\BOB", True),
        ("ǆ", "Ǆ", True),
        ("ﬁle", "FILE", False),
    ],
)
def test_names_compare_as_the_registry_compares_them(a, b, same):
    assert (ordinal_ignore_case(a) == ordinal_ignore_case(b)) is same
    assert (name_key(a) == name_key(b)) is same
    assert (helper_key(a) == helper_key(b)) is same


def test_exact_mode_removes_the_other_of_two_names_that_only_casefold_would_join():
    stored = [
        {"name": "CONTOSO\\STRASSE", "type": "REG_SZ", "data": "CONTOSO\\STRASSE"},
        {"name": "CONTOSO\\straße", "type": "REG_SZ", "data": "CONTOSO\\straße"},
    ]
    current = CurrentState.from_read({"keys": [{"path": RAU, "exists": True, "values": stored}]})
    options = OfferOptions(helpers=("CONTOSO\\straße",), dcom=False)
    wants = [w for w in _offer_policy.desired(options, current) if w.path == RAU]
    assert WantAbsent("helpers", RAU, "CONTOSO\\STRASSE") in wants
    plan = make_plan(wants, current)
    assert [(c["op"], c["name"]) for c in plan.changes] == [("delete_value", "CONTOSO\\STRASSE")]


def test_helpers_that_differ_only_by_sharp_s_are_two_helpers():
    assert validate_helpers(["CONTOSO\\STRASSE", "CONTOSO\\straße"])


# -- every bad item of a list, in one message -----------------------------------------------


def test_every_bad_helper_is_named_in_one_error():
    with pytest.raises(OptionError) as err:
        validate_helpers(["CONTOSO\\ok", "no-backslash", "CONTOSO\\a|b", "x\\y\\z"])
    message = str(err.value)
    assert [e.value for e in err.value.errors] == ["no-backslash", "CONTOSO\\a|b", "x\\y\\z"]
    for value in ("'no-backslash'", "'CONTOSO\\\\a|b'", "'x\\\\y\\\\z'"):
        assert value in message
    assert "CONTOSO\\\\ok" not in message


def test_every_bad_port_and_program_is_named_in_one_error(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    args = {
        "ports": ["0:TCP:*:Enabled:a", "135:TCP:*:Enabled:ok", "1:XTP:*:Enabled:b"],
        "programs": ["C:\\a\\..\\b.exe:*:Enabled:c", "C:\\ok.exe:*:Enabled:ok"],
    }
    message = run_action(win_ra_firewall.ActionModule, args, engine)["msg"]
    for option in ("'ports[0]'", "'ports[2]'", "'programs[0]'"):
        assert option in message
    assert "'ports[1]'" not in message and "'programs[1]'" not in message
    assert engine.calls == []


# -- non-strings never reach the host, and never a traceback --------------------------------


@pytest.mark.parametrize("value", [42, "x", [1], {}])
def test_solicited_that_is_not_a_dictionary_of_suboptions_is_named(
    run_action, fake_engine, make_read, value
):
    engine = fake_engine(make_read())
    result = run_action(win_offer_ra.ActionModule, {"helpers": [], "solicited": value}, engine)
    assert result["failed"] is True
    assert f"'solicited': {value!r}" in result["msg"]
    assert engine.calls == [] and result["engine_runs"] == 0


@pytest.mark.parametrize("value", [42, ["a"], 1.5, None])
def test_rule_names_must_be_strings(run_action, fake_engine, make_read, value):
    engine = fake_engine(make_read())
    args = {"backend": "rules", "rules": ["RemoteAssistance-DCOM-In-TCP-NoScope-Active", value]}
    result = run_action(win_ra_firewall.ActionModule, args, engine)
    assert result["failed"] is True and f"'rules[1]': {value!r}" in result["msg"]
    assert engine.calls == []


def test_required_rule_names_must_be_strings(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    args = {"helpers": ["C\\x"], "require_firewall_rules": [7]}
    result = run_action(win_offer_ra.ActionModule, args, engine)
    assert "'require_firewall_rules[0]': 7" in result["msg"] and engine.calls == []


# -- length limits ---------------------------------------------------------------------------


def test_a_rule_name_longer_than_a_registry_value_name_is_refused(
    run_action, fake_engine, make_read
):
    engine = fake_engine(make_read())
    args = {"backend": "rules", "rules": ["R" * (MAX_VALUE_NAME + 1)]}
    result = run_action(win_ra_firewall.ActionModule, args, engine)
    assert "'rules[0]'" in result["msg"] and "16383" in result["msg"]
    assert engine.calls == []


def test_an_entry_longer_than_a_registry_value_name_is_refused():
    long_name = "n" * MAX_VALUE_NAME
    with pytest.raises(OptionError) as err:
        program_from_option(f"C:\\x.exe:*:Enabled:{long_name}", "programs[0]")
    assert err.value.option == "programs[0]" and "16383" in err.value.reason


def test_an_account_name_longer_than_256_is_refused():
    with pytest.raises(OptionError):
        validate_helpers(["CONTOSO\\" + "a" * 257])
    assert validate_helpers(["CONTOSO\\" + "a" * 256])


# -- program paths: one rule -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("\\\\server\\share\\ra.exe", "UNC"),
        ("//server/share/ra.exe", "UNC"),
        ("C:\\Windows\\..\\evil.exe", "'..'"),
        ("%WINDIR%\\system32\\..\\x.exe", "'..'"),
        ("C:\\Windows\\*.exe", "wildcard"),
        ("C:\\Windows\\ra?.exe", "wildcard"),
        ("C:\\Windows\\\u202eexe.msra", "U+202E"),
        ("C:\\Windows\\ms\u200fra.exe", "U+200F"),
        ("C:\\Windows\\ms\u2066ra.exe", "U+2066"),
    ],
)
def test_program_paths_that_mislead_are_refused(path, reason):
    for value in (f"{path}:*:Enabled:x", {"path": path, "name": "x"}):
        with pytest.raises(OptionError) as err:
            program_from_option(value, "programs[3]")
        assert err.value.option == "programs[3]" and reason in err.value.reason


@pytest.mark.parametrize(
    "path",
    ["%SystemRoot%\\System32\\msra.exe", "C:\\Program Files\\RA\\ra.exe", "C:\\a..b\\x.exe"],
)
def test_ordinary_program_paths_are_accepted(path):
    assert program_from_option(f"{path}:*:Enabled:x", "programs[0]").path == path


# -- profile names: one decision for module and role -------------------------------------------


def test_profile_names_are_matched_case_insensitively(run_action, fake_engine, make_read):
    engine = fake_engine(make_read())
    result = run_action(win_ra_firewall.ActionModule, {"profiles": ["Domain", "STANDARD"]}, engine)
    assert "failed" not in result, result.get("msg")
    keys = engine.calls[0]["module_args"]["keys"]
    assert any("DomainProfile" in key for key in keys)
    assert any("StandardProfile" in key for key in keys)
