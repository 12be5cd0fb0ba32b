# -*- coding: utf-8 -*-
"""Backend `rules`: the built-in Remote Assistance rules, addressed by Name only."""

from __future__ import annotations

import pytest

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    parse_profile,
    typed_changes,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import (
    HostStateError,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_options import (
    validate,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._fw_rules import (
    rules_wants,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._plan import (
    CurrentState,
    WantRule,
    make_plan,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    name_key,
)

DCOM = "RemoteAssistance-DCOM-In-TCP-NoScope-Active"
RASERVER = "RemoteAssistance-RAServer-In-TCP-NoScope-Active"
GROUP = "@FirewallAPI.dll,-33002"


def options(**params):
    base = {"backend": "rules", "preset": "modern", "state": "present", "exclusive": False}
    return validate({**base, **params})


def rule(name, enabled=False, profiles=("domain",), group=GROUP, display="Fjernhjelp (DCOM)"):
    return {
        "name": name,
        "exists": True,
        "enabled": enabled,
        "profiles": list(profiles),
        "group": group,
        "display_name": display,
        "display_group": "Fjernhjelp",
    }


def missing(name):
    return {
        "name": name,
        "exists": False,
        "enabled": None,
        "profiles": [],
        "group": None,
        "display_name": None,
        "display_group": None,
    }


def current(*rules) -> CurrentState:
    return CurrentState.from_read({"firewall_rules": list(rules)})


def apply(state: CurrentState, changes) -> CurrentState:
    rules = {name: dict(r) for name, r in state.rules.items()}
    for change in changes:
        assert change["op"] == "set_rule"
        target = rules[name_key(change["name"])]
        expect = change["expect"]
        assert expect["enabled"] == ("True" if target["enabled"] else "False")
        assert parse_profile(expect["profile"]) == target["profiles"]
        target.update(enabled=change["enabled"], profiles=parse_profile(change["profile"]))
    return CurrentState(rules=rules)


def test_disabled_rules_are_enabled_and_a_second_plan_is_empty():
    state = current(rule(DCOM), rule(RASERVER, display="Fjernhjelp (RA-server)"))
    plan = make_plan(rules_wants(options(), state), state)
    assert [c["name"] for c in plan.changes] == [DCOM, RASERVER]
    assert plan.changes[0]["enabled"] is True and plan.changes[0]["profile"] == "Domain"
    assert {d["setting"] for d in plan.drift} == {"firewall_rules"}
    assert plan.drift[0]["path"] == "FirewallRule"
    after = apply(state, plan.changes)
    again = make_plan(rules_wants(options(), after), after)
    assert typed_changes(again.changes) == [] and again.drift == []


def test_profiles_are_the_union_of_current_and_requested():
    state = current(rule(DCOM, enabled=True, profiles=("public",)), rule(RASERVER, enabled=True))
    wants = rules_wants(options(profiles=["private", "domain"]), state)
    assert wants[0] == WantRule("firewall_rules", DCOM, True, ("domain", "private", "public"))
    assert wants[1] == WantRule("firewall_rules", RASERVER, True, ("domain", "private"))


def test_enabled_rule_in_the_requested_profile_is_compliant():
    state = current(rule(DCOM, enabled=True), rule(RASERVER, enabled=True, profiles=("domain",)))
    plan = make_plan(rules_wants(options(), state), state)
    assert typed_changes(plan.changes) == [] and len(plan.before) == 2


def test_missing_rule_fails_with_a_clear_message_and_no_replacement():
    state = current(rule(DCOM), missing(RASERVER))
    with pytest.raises(HostStateError) as caught:
        rules_wants(options(), state)
    message = str(caught.value)
    assert RASERVER in message and "optional feature" in message
    assert "no replacement rule" in message


def test_rule_not_read_at_all_is_missing():
    with pytest.raises(HostStateError, match=DCOM):
        rules_wants(options(rules=[DCOM]), current())


def test_foreign_group_is_refused():
    state = current(rule(DCOM, group="@FirewallAPI.dll,-28502"), rule(RASERVER))
    with pytest.raises(HostStateError) as caught:
        rules_wants(options(), state)
    assert DCOM in str(caught.value) and "-28502" in str(caught.value)


def test_foreign_group_is_refused_even_for_absent():
    state = current(rule(DCOM, enabled=True, group=None), rule(RASERVER))
    with pytest.raises(HostStateError, match="group"):
        rules_wants(options(state="absent"), state)


def test_display_names_are_never_used():
    # nb-NO host: translated display names, and a translated-looking foreign rule.
    state = current(
        rule(DCOM, display="Fjernhjelp (DCOM-TCP inn)"),
        rule(RASERVER, display="Fjernhjelp (RA-server TCP inn)"),
        rule("Something-Else", display="Remote Assistance (DCOM-In)", group="@x.dll,-1"),
    )
    wants = rules_wants(options(), state)
    assert [w.name for w in wants] == [DCOM, RASERVER]
    # Asking by display name finds nothing: rules are looked up by Name only.
    with pytest.raises(HostStateError):
        rules_wants(options(rules=["Fjernhjelp (DCOM-TCP inn)"]), state)


def test_rule_names_match_case_insensitively_and_use_the_host_spelling():
    state = current(rule(DCOM))
    wants = rules_wants(options(rules=[DCOM.lower()]), state)
    assert wants == [WantRule("firewall_rules", DCOM, True, ("domain",))]


def test_absent_disables_and_keeps_profiles():
    state = current(rule(DCOM, enabled=True, profiles=("domain", "public")), missing(RASERVER))
    wants = rules_wants(options(state="absent"), state)
    assert wants == [WantRule("firewall_rules", DCOM, False, ("domain", "public"))]
    plan = make_plan(wants, state)
    assert plan.changes[0]["enabled"] is False
    assert plan.changes[0]["profile"] == "Domain, Public"
    after = apply(state, plan.changes)
    assert make_plan(rules_wants(options(state="absent"), after), after).changes == []
