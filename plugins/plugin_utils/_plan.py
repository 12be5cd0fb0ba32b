# -*- coding: utf-8 -*-
# Copyright: winra.remote_assistance contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From what we want and what the host holds to ordered changes, drift and diff lines.

Internal use only. Generic: it knows registry values and firewall rules, not Remote
Assistance. The domain modules (_offer_policy, _fw_policy, _fw_rules) turn options and the
current state into wants; this module compares them (SPEC's comparison rules, in
_registry_values) and writes the compare-and-swap `expect` of every change from what the
read returned, so the engine refuses to overwrite anything it was not shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ansible_collections.winra.remote_assistance.plugins.plugin_utils._engine_io import (
    MALFORMED,
    encode_data,
    encode_profiles,
)
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._errors import HostStateError
from ansible_collections.winra.remote_assistance.plugins.plugin_utils._registry_values import (
    REG_TYPES,
    KeySnapshot,
    RegValue,
    name_key,
    normalise_path,
    path_key,
    render,
    same_value,
)

RULE_PATH = "FirewallRule"


@dataclass(frozen=True)
class WantValue:
    setting: str
    path: str
    name: str
    type: str
    data: object


@dataclass(frozen=True)
class WantAbsent:
    setting: str
    path: str
    name: str


@dataclass(frozen=True)
class WantRule:
    setting: str
    name: str
    enabled: bool
    profiles: tuple = ()


@dataclass(frozen=True)
class CurrentState:
    """What one `read` of the engine returned, indexed for case-insensitive lookups."""

    keys: dict = field(default_factory=dict)
    facts: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    rules: dict = field(default_factory=dict)

    def key(self, path: str) -> KeySnapshot:
        found = self.keys.get(path_key(path))
        return found if found is not None else KeySnapshot(normalise_path(path), False, ())

    def value(self, path: str, name: str) -> RegValue | None:
        return self.key(path).get(name)

    def sid(self, account: str) -> str | None:
        wanted = name_key(account)
        for name, sid in self.accounts.items():
            if name_key(name) == wanted:
                return sid
        return None

    def rule(self, name: str) -> dict | None:
        return self.rules.get(name_key(name))

    @classmethod
    def from_read(cls, result: dict) -> CurrentState:
        keys = {}
        for key in result.get("keys") or []:
            snapshot = KeySnapshot.from_json(key)
            keys[path_key(snapshot.path)] = snapshot
        accounts = {item["name"]: item.get("sid") for item in result.get("accounts") or []}
        rules = {name_key(rule["name"]): rule for rule in result.get("firewall_rules") or []}
        return cls(keys, dict(result.get("facts") or {}), accounts, rules)


@dataclass(frozen=True)
class Plan:
    changes: list
    drift: list
    before: list
    after: list

    @property
    def diff(self) -> dict:
        return {"before": "\n".join(self.before) + "\n", "after": "\n".join(self.after) + "\n"}


def make_plan(wants: Iterable, current: CurrentState) -> Plan:
    plan = Plan([], [], [], [])
    for want in _deduplicated(wants):
        if isinstance(want, WantRule):
            _plan_rule(want, current, plan)
        else:
            _plan_value(want, current, plan)
    return plan


def _deduplicated(wants: Iterable) -> list:
    """Drop exact repeats; refuse two different wishes for one value or rule."""
    seen: dict = {}
    ordered = []
    for want in wants:
        if isinstance(want, WantRule):
            identity = (RULE_PATH, name_key(want.name))
        else:
            identity = (path_key(want.path), name_key(want.name))
        if identity in seen:
            if _comparable(seen[identity]) != _comparable(want):
                raise ValueError(f"contradicting wants for {identity}: {seen[identity]} / {want}")
            continue
        seen[identity] = want
        ordered.append(want)
    return ordered


def _comparable(want) -> tuple:
    # The label does not matter for a contradiction; what is asked of the host does.
    if isinstance(want, WantValue):
        return ("value", want.type, repr(want.data))
    if isinstance(want, WantAbsent):
        return ("absent",)
    return ("rule", want.enabled, tuple(sorted(want.profiles)))


def _expect(value: RegValue | None) -> dict:
    """Exactly what the engine reported: it compares ordinally with what it reads now."""
    if value is None:
        return {"present": False}
    if value.raw is not None:
        return dict(value.raw)
    kind, data = encode_data(value.type, value.data)
    return {"present": True, "kind": kind, "data": data}


def _plan_value(want, current: CurrentState, plan: Plan) -> None:
    path = normalise_path(want.path)
    actual = current.value(path, want.name)
    if actual is not None and actual.type not in REG_TYPES and actual.type != MALFORMED:
        # A kind outside the collection's table (REG_NONE, REG_LINK, ...) is not ours to
        # overwrite: stop and say so. A malformed DWORD/QWORD is drift and gets replaced.
        raise HostStateError(
            f"Failed to manage value '{path}\\{actual.name}': it has a registry type this "
            f"collection does not manage ({actual.type}); remove or fix it by hand first"
        )
    name = actual.name if actual is not None else want.name
    desired = RegValue(name, want.type, want.data) if isinstance(want, WantValue) else None
    label = f"{path}\\{name}"
    plan.before.append(f"{label} = {render(actual)}")
    plan.after.append(f"{label} = {render(desired)}")
    if same_value(actual, desired):
        return
    if desired is None:
        change = {"op": "delete_value", "path": path, "name": name}
    else:
        kind, data = encode_data(want.type, want.data)
        change = {"op": "set_value", "path": path, "name": name, "kind": kind, "data": data}
    change["expect"] = _expect(actual)
    plan.changes.append(change)
    plan.drift.append(
        {
            "setting": want.setting,
            "path": path,
            "name": name,
            "expected": desired.as_json() if desired is not None else None,
            "actual": actual.as_json() if actual is not None else None,
        }
    )


def _rule_state(enabled, profiles) -> dict:
    return {"enabled": enabled, "profiles": sorted(profiles, key=_PROFILE_ORDER.index)}


_PROFILE_ORDER = ["domain", "private", "public"]


def _plan_rule(want: WantRule, current: CurrentState, plan: Plan) -> None:
    rule = current.rule(want.name)
    if rule is None or not rule.get("exists"):
        # The domain modules fail before planning on a missing rule; reaching here is a bug.
        raise ValueError(f"firewall rule {want.name!r} was not read or does not exist")
    _check_rule_is_local(want, rule)
    actual = _rule_state(rule.get("enabled"), rule.get("profiles") or [])
    desired = _rule_state(want.enabled, want.profiles)
    label = f"{RULE_PATH} {rule['name']}"
    plan.before.append(f"{label} = enabled={actual['enabled']} profiles={actual['profiles']}")
    plan.after.append(f"{label} = enabled={desired['enabled']} profiles={desired['profiles']}")
    if actual == desired:
        return
    change = {"op": "set_rule", "name": rule["name"], "enabled": desired["enabled"]}
    change["profile"] = encode_profiles(desired["profiles"])
    change["expect"] = rule.get("raw") or _rule_raw(actual, rule)
    plan.changes.append(change)
    plan.drift.append(
        {
            "setting": want.setting,
            "path": RULE_PATH,
            "name": rule["name"],
            "expected": desired,
            "actual": actual,
        }
    )


def _rule_raw(actual: dict, rule: dict) -> dict:
    """The engine's form of a rule state, for a rule the controller was given typed."""
    return {
        "present": True,
        "enabled": "True" if actual["enabled"] else "False",
        "profile": encode_profiles(actual["profiles"]),
        "group": rule.get("group") or "",
    }


def _check_rule_is_local(want: WantRule, rule: dict) -> None:
    """A local change to a rule Group Policy owns, or that policy ignores, has no effect."""
    if rule.get("source") == "gpo":
        raise HostStateError(
            f"Failed to change firewall rule '{rule['name']}': Group Policy delivers it "
            f"('{rule.get('gpo')}') and a GPO rule wins over a local one; change the GPO"
        )
    ignored = [p for p in (rule.get("local_rules_ignored") or []) if p in want.profiles]
    if want.enabled and ignored:
        raise HostStateError(
            f"Failed to enable firewall rule '{rule['name']}': Group Policy sets 'Apply local "
            f"firewall rules' to No for the {', '.join(ignored)} profile(s), so a local rule "
            "has no effect there; change the GPO"
        )
