"""Shared helpers for unit tests of the action plugins: the engine is faked at _execute_module."""

from __future__ import annotations

import base64
import copy
import json
from unittest.mock import MagicMock

import pytest


class FakeEngine:
    """Answers `read` from a canned result and records every call the action plugin makes."""

    def __init__(self, read_result: dict, apply_result: dict | None = None) -> None:
        self.read_result = read_result
        self.apply_result = apply_result or {"changed": True, "contract_version": 2, "applied": 0}
        self.calls: list[dict] = []

    def __call__(self, module_name=None, module_args=None, task_vars=None, **_kwargs):
        # The engine takes one option, the request as base64 JSON; record the request itself.
        assert set(module_args) == {"request"}, module_args
        document = json.loads(base64.b64decode(module_args["request"]).decode("utf-8"))
        self.calls.append({"module_name": module_name, "module_args": document})
        if document["action"] == "read":
            return engine_read(copy.deepcopy(self.read_result), document)
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
        # The composite names no PART (its parts are its suboptions); the restore has no store.
        composite = part is None and action_cls.__module__.endswith("win_remote_assistance")
        knows_store = composite or (part is not None and "policy_store" in part.argument_spec)
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


def engine_read(typed: dict, document: dict) -> dict:
    """What the engine would answer (contract version 2) for a host described the way the
    controller sees it after decoding: `typed` is a read_result() (or a hand-made failure)."""
    # Imported here: pytest-ansible puts the collection on sys.path after conftest loads.
    from ansible_collections.winra.remote_assistance.plugins.plugin_utils import _engine_io as io

    if typed.get("failed") or "keys" not in typed:
        return typed
    facts = typed.get("facts") or {}
    product = {"workstation": "WinNT", "server": "ServerNT", "domain_controller": "LanmanNT"}
    extra = {
        io.path_key(io.CURRENT_VERSION_KEY): [("EditionID", "REG_SZ", facts.get("edition"))],
        io.path_key(io.PRODUCT_OPTIONS_KEY): [
            ("ProductType", "REG_SZ", product.get(facts.get("product_type")))
        ],
    }
    keys = []
    for key in typed["keys"]:
        values = []
        for value in key["values"]:
            if value["type"] == io.OTHER:
                values.append({"name": value["name"], "kind": "None", "data": ""})
                continue
            kind, data = io.encode_data(value["type"], value["data"])
            values.append({"name": value["name"], "kind": kind, "data": data})
        keys.append({"path": key["path"], "exists": key["exists"], "values": values})
    for path in document["keys"]:
        if io.path_key(path) in extra and not any(
            io.path_key(k["path"]) == io.path_key(path) for k in keys
        ):
            given = [(n, t, d) for n, t, d in extra[io.path_key(path)] if d is not None]
            keys.append({"path": path, "exists": True, "values": [
                {"name": n, "kind": io.encode_data(t, d)[0], "data": io.encode_data(t, d)[1]} for n, t, d in given
            ]})  # fmt: skip
    rules = []
    for rule in typed.get("firewall_rules") or []:
        if not rule.get("exists"):
            continue
        rules.append({
            "name": rule["name"], "enabled": "True" if rule.get("enabled") else "False",
            "profile": io.encode_profiles(rule.get("profiles") or []), "group": rule.get("group") or "",
            "display_name": rule.get("display_name") or rule["name"],
            "display_group": rule.get("display_group") or "",
            "source_type": rule.get("source_type", "Local"), "source": rule.get("source", "PersistentStore"),
        })  # fmt: skip
    sources = typed.get("policy_sources") or {"available": False, "values": []}
    settings = []
    for value in sources.get("values") or []:
        kind, data = io.encode_data(value["type"], value["data"])
        number = {v: k for k, v in io._RSOP_TYPES.items()}[value["type"]]
        if value["type"] in ("REG_SZ", "REG_EXPAND_SZ"):
            raw = (data + "\0").encode("utf-16-le").hex()
        elif value["type"] == "REG_MULTI_SZ":
            raw = ("".join(s + "\0" for s in data) + "\0").encode("utf-16-le").hex()
        else:
            raw = data
        settings.append({
            "key": io.normalise_path(value["path"])[len("HKLM:\\"):], "name": value["name"],
            "value_type": str(number), "value": raw, "deleted": False,
            "gpo_id": value.get("gpo_id") or value["gpo"], "gpo": value["gpo"],
        })  # fmt: skip
    return {
        "changed": False,
        "contract_version": typed.get("contract_version", io.CONTRACT_VERSION),
        "keys": keys,
        "accounts": typed.get("accounts") or [],
        "firewall_rules": rules,
        "policy_sources": {
            "available": bool(sources.get("available")) and document["policy_sources"],
            "reason": None if sources.get("available") else "Invalid namespace",
            "settings": settings,
        },
        # Files travel as the engine sends them (path, exists, size, sha256, base64 data).
        **({"files": typed["files"]} if "files" in typed else {}),
    }


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
        "contract_version": 2,
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


@pytest.fixture
def documented_options():
    """documented_options(module) -> the module's options as ansible-doc shows them, with the
    collection's doc fragments (policy_store, snapshot) merged in by Ansible's own loader."""
    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import get_docstring

    def _options(module) -> dict:
        doc, _examples, _returns, _metadata = get_docstring(
            module.__file__,
            fragment_loader,
            is_module=True,
            collection_name="winra.remote_assistance",
        )
        return doc["options"]

    return _options
