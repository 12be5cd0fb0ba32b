"""Shared helpers for unit tests of the action plugins: the engine is faked at _execute_module."""

from __future__ import annotations

import copy
from unittest.mock import MagicMock

import pytest


class FakeEngine:
    """Answers `read` from a canned result and records every call the action plugin makes."""

    def __init__(self, read_result: dict, apply_result: dict | None = None) -> None:
        self.read_result = read_result
        self.apply_result = apply_result or {"changed": True, "contract_version": 1, "applied": 0}
        self.calls: list[dict] = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, **_kwargs):
        self.calls.append({"module_name": module_name, "module_args": copy.deepcopy(module_args)})
        if module_args["action"] == "read":
            return copy.deepcopy(self.read_result)
        return copy.deepcopy(self.apply_result)

    @property
    def actions(self) -> list[str]:
        return [call["module_args"]["action"] for call in self.calls]


@pytest.fixture
def run_action():
    """run_action(ActionModule, args, engine, check_mode=False, diff=False) -> result dict.

    `policy_store` (default "registry") is set on every part whose arguments do not name
    one: most action tests are about the registry loop and its fake engine has no files;
    the Local Group Policy store's tests pass policy_store="local_gpo" (or name it in args).
    """

    def _run(action_cls, args, engine, check_mode=False, diff=False, policy_store="registry"):
        task = MagicMock()
        part = getattr(action_cls, "PART", None)
        knows_store = part is None or "policy_store" in part.argument_spec
        task.args = _with_store(args, policy_store) if knows_store else args
        task.check_mode = check_mode
        task.diff = diff
        task.async_val = 0
        task.action = action_cls.__module__.rsplit(".", 1)[-1]
        connection = MagicMock()
        connection._shell.tmpdir = None
        action = action_cls(
            task=task,
            connection=connection,
            play_context=MagicMock(check_mode=check_mode, diff=diff),
            loader=None,
            templar=None,
            shared_loader_obj=None,
        )
        action._execute_module = engine
        return action.run(task_vars={})

    return _run


def _with_store(args, store: str):
    if not isinstance(args, dict):
        return args
    if "offer" in args or "firewall" in args:
        return {
            name: ({"policy_store": store, **value} if name in ("offer", "firewall")
                   and isinstance(value, dict) else value)
            for name, value in args.items()
        }  # fmt: skip
    return {"policy_store": store, **args}


def read_result(
    keys=None, facts=None, accounts=None, firewall_rules=None, policy_sources=None
) -> dict:
    """A contract-shaped `read` result. `keys` maps path -> list of (name, type, data) or None;
    `policy_sources` is a list of (path, name, type, data, gpo) a GPO sets, or None for a host
    without a Resultant Set of Policy."""
    out_keys = []
    for path, values in (keys or {}).items():
        out_keys.append(
            {
                "path": path,
                "exists": values is not None,
                "values": [{"name": n, "type": t, "data": d} for n, t, d in values or []],
            }
        )
    return {
        "changed": False,
        "contract_version": 1,
        "keys": out_keys,
        "facts": {
            "os_version": "10.0.19045",
            "os_build": 19045,
            "edition": "Enterprise",
            "product_type": "workstation",
            "domain_joined": True,
            "domain": "CONTOSO",
            "ui_culture": "en-US",
            **(facts or {}),
        },
        "accounts": [{"name": n, "sid": s} for n, s in (accounts or {}).items()],
        "firewall_rules": firewall_rules or [],
        "policy_sources": {
            "available": policy_sources is not None,
            "values": [
                {"path": p, "name": n, "type": t, "data": d, "gpo": g, "gpo_id": f"id-{g}"}
                for p, n, t, d, g in policy_sources or []
            ],
        },
    }


@pytest.fixture
def make_read():
    """The read_result() builder, as a fixture (test modules cannot import conftest)."""
    return read_result


@pytest.fixture
def fake_engine():
    """fake_engine(read_result, apply_result=None) -> FakeEngine."""
    return FakeEngine
