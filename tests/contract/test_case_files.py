"""Structural checks of the contract examples (tests/contract/cases/*.json).

Every engine implementation runs these files; a malformed example would test nothing or
test the wrong thing. The rules come from docs/engine-contract.md.
"""

import base64
import binascii
import functools
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASES_DIR = Path(__file__).parent / "cases"
CONTRACT = ROOT / "docs" / "engine-contract.md"
CASE_FILES = sorted(CASES_DIR.glob("*.json"))
NUMBERED = [p for p in CASE_FILES if not p.name.startswith("lab-")]

TOP_KEYS = {"description", "check_mode", "faults", "state", "request", "response", "msg_contains"}
OPTIONAL_TOP_KEYS = {"end_state"}
STATE_KEYS = {"registry", "facts", "accounts", "firewall_rules"}
OPTIONAL_STATE_KEYS = {"policy_sources", "files"}
POLICY_SOURCE_KEYS = {"path", "name", "type", "data", "gpo", "gpo_id"}
FAULT_KEYS = {
    "deny_keys",
    "fail_write_after",
    "change_before_apply",
    "change_before_rollback",
    "firewall_unavailable",
    "lsa_unavailable",
    "files",
}
RULE_KEYS = {"name", "exists", "enabled", "profiles", "group", "display_name", "display_group"}
OPTIONAL_RULE_KEYS = {"source_type", "source"}
READ_FIELDS = {"action", "keys", "accounts", "firewall_rules", "policy_sources"}
OPTIONAL_READ_FIELDS = {"files", "exists"}
KIND_DATA = {
    "String": None,
    "ExpandString": None,
    "MultiString": None,
    "Binary": r"([0-9a-f]{2})*",
    "DWord": r"[0-9a-f]{8}",
    "QWord": r"[0-9a-f]{16}",
}
PROFILE_TEXT = re.compile(r"Any|(Domain|Private|Public)(, (Private|Public))*")
# Examples from this number on state a fact of real Windows and say where it comes from.
FIRST_SOURCED_EXAMPLE = 51
PROFILE_ORDER = ["domain", "private", "public"]
CHANGE_FIELDS = {
    "set_value": {"op", "path", "name", "kind", "data", "expect"},
    "delete_value": {"op", "path", "name", "expect"},
    "set_rule": {"op", "name", "enabled", "profile", "expect"},
    "replace_file": {"op", "path", "data", "expect"},
}
# An absolute Windows file path, as the contract's examples spell them (variables expanded).
FILE_PATH = re.compile(r'[A-Za-z]:(\\[^\\<>:"|?*\x00-\x1f]+)+')
SHA256 = re.compile(r"[0-9a-f]{64}")
NORMALISED_PATH = re.compile(r"^HKLM:\\[^\\]+(\\[^\\]+)*$")
FACT_KEYS = {
    "os_version",
    "os_build",
    "os_name",
    "edition",
    "product_type",
    "domain_joined",
    "domain",
    "hostname",
    "ui_culture",
    "ps_version",
}


@functools.cache
def contract_error_kinds() -> list[str]:
    """The error kinds as the contract lists them (the paragraph starting 'Error kinds:')."""
    text = CONTRACT.read_text(encoding="utf-8")
    paragraph = text.split("Error kinds:", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"`([a-z_]+)` \(", paragraph)


@functools.cache  # data_problem asks once per value in every example
def contract_types() -> list[str]:
    """The value types of the contract's TYPE table."""
    return re.findall(r"^\| `(REG_[A-Z_]+)` \|", CONTRACT.read_text(encoding="utf-8"), re.M)


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def data_problem(reg_type: str, data: object, request: bool = False) -> str | None:
    """Why `data` is not valid JSON data for `reg_type` in a host state, or None.

    A DWORD/QWORD is an integer, or a hex string of its raw bytes when it is malformed
    (Windows stores whatever size a writer gives).
    """
    if reg_type not in contract_types():
        return f"unknown type {reg_type!r}"
    if reg_type in ("REG_DWORD", "REG_QWORD") and isinstance(data, str):
        return None if re.fullmatch(r"([0-9a-f]{2})+", data) else "not hex of whole bytes"
    if reg_type in ("REG_SZ", "REG_EXPAND_SZ"):
        return None if isinstance(data, str) else "not a string"
    if reg_type in ("REG_DWORD", "REG_QWORD"):
        top = 2**32 - 1 if reg_type == "REG_DWORD" else 2**64 - 1
        ok = isinstance(data, int) and not isinstance(data, bool) and 0 <= data <= top
        return None if ok else f"not an integer in 0..{top}"
    if reg_type == "REG_MULTI_SZ":
        ok = isinstance(data, list) and all(isinstance(s, str) for s in data)
        return None if ok else "not a list of strings"
    digits = "0-9a-fA-F" if request else "0-9a-f"
    ok = isinstance(data, str) and re.fullmatch(rf"([{digits}]{{2}})*", data) is not None
    return None if ok else "not hex of whole bytes"


def registry_problems(registry: object) -> list[str]:
    if not isinstance(registry, dict):
        return ["registry is not an object"]
    problems = []
    for path, values in registry.items():
        if not NORMALISED_PATH.match(path):
            problems.append(f"path not normalised: {path!r}")
        if not isinstance(values, dict):
            problems.append(f"{path}: values are not an object")
            continue
        for name, value in values.items():
            if not isinstance(value, dict) or set(value) != {"type", "data"}:
                problems.append(f"{path}\\{name}: value is not {{type, data}}")
                continue
            if why := data_problem(value["type"], value["data"]):
                problems.append(f"{path}\\{name}: {why}")
    return problems


def rule_problems(rules: object) -> list[str]:
    if not isinstance(rules, list):
        return ["firewall_rules is not a list"]
    problems = []
    for rule in rules:
        if (
            not isinstance(rule, dict)
            or not RULE_KEYS <= set(rule) <= RULE_KEYS | OPTIONAL_RULE_KEYS
            or rule["exists"] is not True
        ):
            problems.append(f"rule is not a full existing rule object: {rule!r}")
        elif rule["profiles"] != [p for p in PROFILE_ORDER if p in rule["profiles"]]:
            problems.append(f"{rule['name']}: profiles not canonical: {rule['profiles']}")
    return problems


def policy_sources_problems(sources: object) -> list[str]:
    """The `state.policy_sources` seed: what RSoP holds (available false: no namespace)."""
    if not isinstance(sources, dict) or set(sources) != {"available", "values"}:
        return [f"policy_sources is not {{available, values}}: {sources!r}"]
    if not isinstance(sources["available"], bool) or not isinstance(sources["values"], list):
        return ["policy_sources: available is not a boolean or values is not a list"]
    problems = []
    if not sources["available"] and sources["values"]:
        problems.append("unavailable policy_sources with values")
    for value in sources["values"]:
        if not isinstance(value, dict) or set(value) != POLICY_SOURCE_KEYS:
            problems.append(f"policy source is not {sorted(POLICY_SOURCE_KEYS)}: {value!r}")
            continue
        if not NORMALISED_PATH.match(value["path"]):
            problems.append(f"path not normalised: {value['path']!r}")
        if why := data_problem(value["type"], value["data"]):
            problems.append(f"{value['path']}\\{value['name']}: {why}")
        if not all(isinstance(value[k], str) and value[k] for k in ("gpo", "gpo_id")):
            problems.append(f"{value['name']}: gpo and gpo_id must be non-empty strings")
    return problems


def is_base64(data: object) -> bool:
    try:
        base64.b64decode(data, validate=True)  # type: ignore[arg-type]
    except (binascii.Error, TypeError, ValueError):
        return False
    return isinstance(data, str)


def files_problems(files: object) -> list[str]:
    """`state.files` / `end_state.files`: absolute path -> base64 of the bytes."""
    if not isinstance(files, dict):
        return ["files is not an object"]
    return [
        f"file {path!r}: not an absolute path with base64 data"
        for path, data in files.items()
        if not FILE_PATH.fullmatch(path) or not is_base64(data)
    ]


def kind_data_problem(kind: object, data: object) -> str | None:
    """Why `data` is not what the engine writes for `kind`, or None."""
    if kind not in KIND_DATA:
        return f"not a writable kind: {kind!r}"
    if kind == "MultiString":
        ok = isinstance(data, list) and all(isinstance(s, str) for s in data)
        return None if ok else "not a list of strings"
    if not isinstance(data, str):
        return "not a string"
    pattern = KIND_DATA[kind]
    return None if pattern is None or re.fullmatch(pattern, data) else "not the kind's hex"


def expect_problem(op: str, expect: object) -> str | None:
    if op == "replace_file":
        ok = expect == {"present": False} or (
            isinstance(expect, dict)
            and set(expect) == {"present", "sha256"}
            and expect["present"] is True
            and isinstance(expect["sha256"], str)
            and SHA256.fullmatch(expect["sha256"])
        )
        return None if ok else f"bad file expect {expect!r}"
    if op == "set_rule":
        ok = (
            isinstance(expect, dict)
            and set(expect) == {"present", "enabled", "profile", "group"}
            and expect["present"] is True
            and expect["enabled"] in ("True", "False")
            and PROFILE_TEXT.fullmatch(str(expect["profile"]))
            and isinstance(expect["group"], str)
        )
        return None if ok else f"bad rule expect {expect!r}"
    if expect == {"present": False}:
        return None
    if not isinstance(expect, dict) or set(expect) != {"present", "kind", "data"}:
        return f"bad value expect {expect!r}"
    if expect["present"] is not True or not isinstance(expect["kind"], str):
        return f"bad value expect {expect!r}"
    # An expect is what the engine read: any kind, even one it cannot write.
    data = expect["data"]
    ok = isinstance(data, str) or (isinstance(data, list) and all(isinstance(s, str) for s in data))
    return None if ok else "expect data is not a string or a list of strings"


def change_problem(change: object) -> str | None:
    """Why a change object breaks the contract's validation rules, or None if it is valid."""
    if not isinstance(change, dict) or change.get("op") not in CHANGE_FIELDS:
        return "unknown op"
    op = change["op"]
    if set(change) != CHANGE_FIELDS[op]:
        return f"fields {sorted(change)} are not {sorted(CHANGE_FIELDS[op])}"
    if op == "replace_file":
        path = change["path"]
        expanded = re.sub(r"(?i)%(systemroot|windir)%", "C:\\\\Windows", str(path))
        if not FILE_PATH.fullmatch(expanded.replace("/", "\\")):
            return f"not an absolute file path: {path!r}"
        if not is_base64(change["data"]):
            return "data is not base64"
        return expect_problem(op, change["expect"])
    if not isinstance(change["name"], str):
        return "name is not a string"
    if op == "set_rule":
        if not isinstance(change["enabled"], bool) or not change["name"]:
            return "enabled is not a boolean or the name is empty"
        if not PROFILE_TEXT.fullmatch(str(change["profile"])):
            return f"bad profile {change['profile']!r}"
        return expect_problem(op, change["expect"])
    if not NORMALISED_PATH.match(change["path"]):
        return f"path not normalised: {change['path']!r}"
    if op == "set_value" and (why := kind_data_problem(change["kind"], change["data"])):
        return why
    return expect_problem(op, change["expect"])


def test_contract_tables_are_found():
    # The checks below read the contract; if its wording moved they would check nothing.
    assert contract_error_kinds() == [
        "bad_request",
        "access_denied",
        "precondition",
        "file_locked",
        "write_failed",
        "rollback_failed",
        "query_failed",
        "host_error",
    ]
    assert contract_types() == [
        "REG_SZ",
        "REG_EXPAND_SZ",
        "REG_DWORD",
        "REG_QWORD",
        "REG_MULTI_SZ",
        "REG_BINARY",
    ]


def test_numbered_case_files_are_named_and_numbered_in_sequence():
    assert 66 <= len(NUMBERED) <= 99, f"{len(NUMBERED)} numbered examples"
    for index, path in enumerate(NUMBERED, start=1):
        assert re.fullmatch(rf"{index:02d}-[a-z0-9]+(-[a-z0-9]+)*\.json", path.name), path.name


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_file_structure(path):
    case = load(path)
    assert TOP_KEYS <= set(case) <= TOP_KEYS | OPTIONAL_TOP_KEYS, sorted(case)
    assert isinstance(case["description"], str) and case["description"]
    assert isinstance(case["check_mode"], bool)
    assert isinstance(case["msg_contains"], list)
    assert all(isinstance(s, str) and s for s in case["msg_contains"])
    assert STATE_KEYS <= set(case["state"]) <= STATE_KEYS | OPTIONAL_STATE_KEYS
    if "policy_sources" in case["state"]:
        assert policy_sources_problems(case["state"]["policy_sources"]) == []
    assert files_problems(case["state"].get("files", {})) == []
    assert registry_problems(case["state"]["registry"]) == []
    assert rule_problems(case["state"]["firewall_rules"]) == []
    assert set(case["state"]["facts"]) <= FACT_KEYS
    assert all(
        isinstance(k, str) and isinstance(v, str) for k, v in case["state"]["accounts"].items()
    )
    if "end_state" in case:
        assert set(case["end_state"]) and set(case["end_state"]) <= {
            "registry",
            "firewall_rules",
            "files",
        }
        assert registry_problems(case["end_state"].get("registry", {})) == []
        assert files_problems(case["end_state"].get("files", {})) == []
        assert rule_problems(case["end_state"].get("firewall_rules", [])) == []


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_faults_are_known_and_well_formed(path):
    faults = load(path)["faults"]
    assert isinstance(faults, dict) and set(faults) <= FAULT_KEYS, faults
    for key_path in faults.get("deny_keys", []):
        assert NORMALISED_PATH.match(key_path), key_path
    if "fail_write_after" in faults:
        k = faults["fail_write_after"]
        assert isinstance(k, int) and not isinstance(k, bool) and k >= 0
    for flag in ("firewall_unavailable", "lsa_unavailable"):
        assert faults.get(flag, True) is True, "a fault flag is listed only when true"
    file_faults = faults.get("files", {})
    assert set(file_faults) <= {"locked", "torn_write"}, file_faults
    assert "files" not in faults or file_faults, "a file fault is listed only when given"
    for path, count in file_faults.get("locked", {}).items():
        assert FILE_PATH.fullmatch(path) and (count is None or count >= 1), (path, count)
    for path, keep in file_faults.get("torn_write", {}).items():
        assert FILE_PATH.fullmatch(path) and isinstance(keep, int) and keep >= 0, (path, keep)
    for external in faults.get("change_before_apply", []) + faults.get(
        "change_before_rollback", []
    ):
        assert external["op"] in ("set_value", "delete_value")
        assert NORMALISED_PATH.match(external["path"])
        if external["op"] == "set_value":
            assert data_problem(external["type"], external["data"]) is None
        else:
            assert set(external) == {"op", "path", "name"}


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case_response_is_consistent_with_the_request(path):
    case = load(path)
    request, response = case["request"], case["response"]
    assert isinstance(request.get("action"), str)
    if request["action"] == "read" and response.get("error") != "bad_request":
        assert READ_FIELDS <= set(request) <= READ_FIELDS | OPTIONAL_READ_FIELDS, (
            "a read request carries every field"
        )
    error = response.get("error")
    if response.get("failed"):
        assert error in contract_error_kinds(), error
    else:
        assert error is None and not case["msg_contains"], "msg_contains needs a failure"
    if request["action"] == "apply" and error != "bad_request":
        # Only bad_request examples may hold invalid changes: any other example must pass
        # validation, or it would test validation instead of what it says.
        problems = [change_problem(c) for c in request["changes"]]
        assert problems == [None] * len(problems), problems
    if error in ("precondition",):
        assert response.get("conflicts"), "a precondition example lists its conflicts"
    if error == "write_failed":
        assert response.get("rolled_back") is True
        # After a rollback the host is unchanged, but for the <name>.bak a restore by
        # File.Replace leaves (the file the restore replaced).
        end = case.get("end_state", {})
        assert set(end) <= {"files"}, "after a rollback the host must be unchanged"
        before = case["state"].get("files", {})
        after = end.get("files", before)
        differing = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        assert all(p.endswith(".bak") for p in differing), differing


def test_examples_cover_the_contract():
    cases = [load(p) for p in NUMBERED]
    errors = {c["response"].get("error") for c in cases}
    # host_error is whatever the host throws unexpectedly: no example can provoke it.
    assert set(contract_error_kinds()) - {"host_error"} <= errors
    assert {"read", "apply"} <= {c["request"]["action"] for c in cases}
    assert any(c["check_mode"] and c["request"]["action"] == "apply" for c in cases)
    for fault in FAULT_KEYS:
        assert any(fault in c["faults"] for c in cases), fault
    assert {0, 1, 2} <= {c["faults"].get("fail_write_after") for c in cases}
    ops = {
        ch["op"]
        for c in cases
        if c["request"]["action"] == "apply"
        for ch in c["request"]["changes"]
        if isinstance(ch, dict)
    }
    assert set(CHANGE_FIELDS) <= ops
    read_types = {
        v["type"]
        for c in cases
        for values in c["state"]["registry"].values()
        for v in values.values()
    }
    assert set(contract_types()) <= read_types
    reads = [c for c in cases if c["request"]["action"] == "read"]
    assert any(c["request"].get("policy_sources") is True for c in reads)
    assert any(
        "policy_sources" in c["state"] and c["request"]["policy_sources"] is False for c in reads
    )
    assert any(
        c["response"].get("policy_sources", {}).get("available") is False
        and c["request"].get("policy_sources") is True
        for c in reads
    )
    # Files: a read of a present and of a missing file, a lock, a torn write, and every expect.
    read_files = [f for c in reads for f in c["response"].get("files", [])]
    assert {True, False} <= {f["exists"] for f in read_files}
    assert {"locked", "torn_write"} <= {k for c in cases for k in c["faults"].get("files", {})}
    # Existence probes: present and missing, and a locked file probed without an error.
    probes = [p for c in reads for p in c["response"].get("exists", [])]
    assert {True, False} <= {p["exists"] for p in probes}
    assert any(
        c["faults"].get("files", {}).get("locked") and c["response"].get("exists")
        for c in reads
        if not c["response"].get("failed")
    )
    assert any(c["request"].get("exists") == [] for c in reads)
    expects = [
        ch["expect"]
        for c in cases
        if c["request"]["action"] == "apply"
        for ch in c["request"]["changes"]
        if isinstance(ch, dict) and ch.get("op") == "replace_file"
    ]
    assert {False, True} <= {e.get("present") for e in expects if isinstance(e, dict)}


def test_en_dash_is_stored_raw_in_utf8():
    # The en dash must survive byte-exact: keep it as UTF-8 in the file, not as \u2013.
    raw = b"".join(p.read_bytes() for p in NUMBERED)
    assert "\u2013".encode() in raw
    assert b"\\u2013" not in raw


def test_change_problem_detects_invalid_changes():
    # The validator above must be able to fail.
    valid = {
        "op": "set_value",
        "path": "HKLM:\\SOFTWARE\\X",
        "name": "v",
        "kind": "DWord",
        "data": "01000000",
        "expect": {"present": False},
    }
    assert change_problem(valid) is None
    assert change_problem({**valid, "data": 1})
    assert change_problem({**valid, "data": "0100000000000000"})
    assert change_problem({**valid, "data": True})
    assert change_problem({**valid, "path": "HKLM:\\SOFTWARE\\X\\"})
    assert change_problem({**valid, "expect": {"present": False, "kind": "String"}})
    assert change_problem({k: v for k, v in valid.items() if k != "expect"})
    assert registry_problems({"HKLM\\SOFTWARE\\X": {}})
    assert registry_problems({"HKLM:\\X": {"v": {"type": "REG_BINARY", "data": "0A"}}})
    assert change_problem({**valid, "kind": "Binary", "data": "0a"}) is None
    assert change_problem({**valid, "kind": "Binary", "data": "0A"})
    rule = {"op": "set_rule", "name": "R", "enabled": True, "profile": "Domain, Public",
            "expect": {"present": True, "enabled": "False", "profile": "Any", "group": "g"}}  # fmt: skip
    assert change_problem(rule) is None
    assert change_problem({**rule, "profile": "domain"})
    assert change_problem({**rule, "expect": {**rule["expect"], "enabled": False}})


def test_policy_sources_problem_detects_invalid_seeds():
    value = {"path": "HKLM:\\SOFTWARE\\X", "name": "v", "type": "REG_DWORD", "data": 1,
             "gpo": "G", "gpo_id": "id"}  # fmt: skip
    assert policy_sources_problems({"available": True, "values": [value]}) == []
    assert policy_sources_problems({"available": False, "values": [value]})
    assert policy_sources_problems({"available": True, "values": [{**value, "data": -1}]})
    assert policy_sources_problems({"available": True, "values": [{**value, "gpo": ""}]})
    assert policy_sources_problems({"available": True})


@pytest.mark.parametrize(
    "path",
    [p for p in NUMBERED if int(p.name[:2]) >= FIRST_SOURCED_EXAMPLE],
    ids=lambda p: p.stem,
)
def test_new_examples_cite_their_source(path):
    # A fact about real Windows is only as good as where it comes from.
    description = load(path)["description"]
    assert "Source:" in description and re.search(
        r"https://|github\.com|\.cs\b|\.ps1\b", description
    )
