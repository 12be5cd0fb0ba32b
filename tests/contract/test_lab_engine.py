"""Every contract example (tests/contract/cases/*.json) against the lab's Python engine.

The format is described at the end of docs/engine-contract.md. The lab can inject every
fault the format knows, so no example is skipped here.
"""

import json
from pathlib import Path

import pytest

from winra_lab.windows import profiles
from winra_lab.windows.engine import encode_request, run_engine
from winra_lab.windows.firewall import FirewallRule
from winra_lab.windows.hoststate import HostState
from winra_lab.windows.registry import Registry, data_to_json, fold

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
CASE_KEYS = {
    "description",
    "check_mode",
    "faults",
    "state",
    "request",
    "response",
    "msg_contains",
    "end_state",
}


def load_case(path: Path) -> dict:
    case = json.loads(path.read_text(encoding="utf-8"))
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{path.name}: unknown top-level keys {sorted(unknown)}"
    for required in ("description", "request", "response"):
        assert required in case, f"{path.name}: '{required}' is missing"
    return case


def host_from_case(case: dict) -> HostState:
    given = case.get("state") or {}
    faults = dict(case.get("faults") or {})
    file_faults = faults.pop("files", None)  # the file store's own faults
    default_facts = profiles.build("fresh", 0, "LAB001").facts
    return HostState.from_json(
        {
            "hostname": "LAB001",
            "profile": "contract-example",
            "facts": {**default_facts, **(given.get("facts") or {})},
            "accounts": given.get("accounts") or {},
            "registry": given.get("registry") or {},
            "firewall_rules": given.get("firewall_rules") or [],
            "faults": faults,
            "files": {"files": given.get("files") or {}, "faults": file_faults},
            "gpo_values": (given.get("policy_sources") or {}).get("values") or [],
            # RSoP logging is on by default on every host: omitted means an empty RSoP.
            "rsop_available": (given.get("policy_sources") or {}).get("available", True),
        }
    )


def registry_view(registry: Registry) -> dict:
    """Every key (implicit parents included) and value, names folded, data in JSON form."""
    registry = Registry.from_dump(registry.dump())  # a copy without the host's deny faults
    view = {}
    for path in registry.all_key_paths():
        values = registry.values(path) or []
        view[fold(path)] = {fold(v.name): (v.type, data_to_json(v.type, v.data)) for v in values}
    return view


def rules_view(rules: list) -> list:
    return [FirewallRule.from_json(rule).to_json() for rule in rules]


def files_view(files: dict) -> dict:
    """Every file the host holds: folded path -> base64 of its bytes."""
    return {path.casefold(): data for path, data in files.items()}


def unordered(key: str, value: object) -> object:
    """The contract leaves the order of a key's values, of rule rows and of RSoP rows to the host."""
    if key == "keys" and isinstance(value, list):
        return [{**k, "values": sorted(k["values"], key=lambda v: v["name"])} for k in value]
    if key == "firewall_rules" and isinstance(value, list):
        return sorted(value, key=lambda r: (r["name"], r["source_type"]))
    if key == "policy_sources" and isinstance(value, dict):
        rows = sorted(value.get("settings") or [], key=lambda r: (r["key"].lower(), r["name"]))
        return {**value, "settings": rows}
    return value


def test_contract_examples_exist():
    # An empty directory would make the parametrized test below vanish: that is a failure.
    assert CASE_FILES, f"no contract examples found in {CASES_DIR}"


@pytest.mark.parametrize("case_file", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_lab_engine_passes_contract_example(case_file):
    case = load_case(case_file)
    host = host_from_case(case)
    initial = registry_view(host.registry)
    initial_files = files_view(host.files.to_json()["files"])
    check_mode = bool(case.get("check_mode", False))

    result = run_engine(host, encode_request(case["request"]), check_mode)

    for key, expected in case["response"].items():
        assert key in result, f"{case['description']}: result has no '{key}': {result}"
        assert unordered(key, result[key]) == unordered(key, expected), (
            f"{case['description']}: '{key}' differs; result: {result}"
        )
    if case["request"].get("action") == "read" and not result.get("failed"):
        for optional in ("files", "exists"):  # asked for nothing: no key, as before it existed
            if not case["request"].get(optional):
                assert optional not in result, f"{case['description']}: {result}"
    for fragment in case.get("msg_contains") or []:
        assert fragment in result.get("msg", ""), (
            f"{case['description']}: msg {result.get('msg')!r}"
        )

    end_state = case.get("end_state") or {}
    expected_registry = (
        registry_view(Registry.from_dump(end_state["registry"]))
        if "registry" in end_state
        else initial
    )
    assert registry_view(host.registry) == expected_registry, case["description"]
    # The contract compares the registry only; a lab example may also list the rules.
    if "firewall_rules" in end_state:
        expected_rules = rules_view(end_state["firewall_rules"])
        assert [rule.to_json() for rule in host.firewall_rules] == expected_rules, case[
            "description"
        ]
    expected_files = files_view(end_state["files"]) if "files" in end_state else initial_files
    assert files_view(host.files.to_json()["files"]) == expected_files, case["description"]
    if check_mode or case["request"].get("action") == "read":
        assert host.registry.writes == 0 and host.firewall_writes == 0, case["description"]
        assert host.files.writes == 0, case["description"]


@pytest.mark.parametrize("files", [None, []])
def test_a_read_that_asks_for_no_file_has_no_files_key(files):
    # The one optional field: a response that a controller without files expects.
    request = {"action": "read", "keys": [], "accounts": [], "firewall_rules": []}
    request["policy_sources"] = False
    if files is not None:
        request["files"] = files
    result = run_engine(host_from_case({"request": request}), encode_request(request), False)
    assert "failed" not in result and "files" not in result, result


@pytest.mark.parametrize("exists", [None, []])
def test_a_read_that_probes_no_file_has_no_exists_key(exists):
    request = {"action": "read", "keys": [], "accounts": [], "firewall_rules": []}
    request["policy_sources"] = False
    if exists is not None:
        request["exists"] = exists
    result = run_engine(host_from_case({"request": request}), encode_request(request), False)
    assert "failed" not in result and "exists" not in result, result
