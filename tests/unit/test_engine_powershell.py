"""Static checks of the PowerShell host engine, plugins/modules/win_ra_state.ps1.

No PowerShell runs here, so the script is parsed with tree-sitter-powershell and checked for
what a first run on Windows would otherwise reveal: syntax, the Ansible.Basic module shape,
agreement with its documentation and with docs/engine-contract.md, names that are used but
never defined, and writes that could happen in check mode. Every check returns a list of
problems so that the tests can also prove, on broken copies of the script, that it fails.
"""

import re
from functools import cached_property
from pathlib import Path

import pytest
import tree_sitter_powershell
import yaml
from tree_sitter import Language, Node, Parser

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "plugins" / "modules" / "win_ra_state.ps1"
DOCS = ROOT / "plugins" / "modules" / "win_ra_state.py"
CONTRACT = ROOT / "docs" / "engine-contract.md"

PARSER = Parser(Language(tree_sitter_powershell.language()))

# Cmdlets the engine may call besides its own functions; anything else is a typo or a
# dependency nobody reviewed.
ALLOWED_CMDLETS = {"get-ciminstance", "get-netfirewallrule", "set-netfirewallrule", "where-object"}
# Provider cmdlets and tools that could delete or recreate keys, or run arbitrary text.
FORBIDDEN_CMDLETS = {
    "remove-item",
    "remove-itemproperty",
    "new-item",
    "new-itemproperty",
    "set-itemproperty",
    "invoke-expression",
    "iex",
    "new-netfirewallrule",
    "remove-netfirewallrule",
    "reg",
    "reg.exe",
    "netsh",
}
WRITE_MEMBERS = {"setvalue", "deletevalue", "createsubkey", "deletesubkey"}
WRITE_CMDLETS = {"set-netfirewallrule"}
# The functions allowed to reach a write; Invoke-Writes is phase 2 and its only caller must
# be guarded by check mode.
PHASE_TWO = {
    "invoke-writes",
    "undo-writes",
    "write-state",
    "write-value",
    "set-rulestate",
    "remove-keyifempty",
}
AUTOMATIC_VARIABLES = {"$_", "$true", "$false", "$null", "$args", "$psversiontable"}
SCOPES = {"env", "script", "global", "local", "private", "using", "variable", "function"}


def walk(node: Node):
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


def text(node: Node) -> str:
    return node.text.decode("utf-8")


def syntax_problems(source: str) -> list[str]:
    tree = PARSER.parse(source.encode("utf-8"))
    return [
        f"{'missing' if n.is_missing else 'error'} at line {n.start_point[0] + 1}: {text(n)[:60]!r}"
        for n in walk(tree.root_node)
        if n.type == "ERROR" or n.is_missing
    ]


class Script:
    """A parsed PowerShell script with the queries the checks need."""

    def __init__(self, source: str):
        self.source = source
        self.root = PARSER.parse(source.encode("utf-8")).root_node

    @cached_property
    def statements(self) -> list[Node]:
        lists = [c for c in self.root.children if c.type == "statement_list"]
        return list(lists[0].named_children) if lists else []

    @cached_property
    def functions(self) -> dict[str, Node]:
        return {
            text(n.child_by_field_name("function_name") or _first(n, "function_name")).lower(): n
            for n in walk(self.root)
            if n.type == "function_statement"
        }

    def commands(self, node: Node | None = None) -> list[tuple[str, list[Node], bool, Node]]:
        """(lower-cased name, positional argument nodes, uses named parameters, node)."""
        found = []
        for command in walk(node or self.root):
            if command.type != "command":
                continue
            name = text(_first(command, "command_name")).lower()
            elements = _first(command, "command_elements")
            args, named, after_parameter = [], False, False
            for child in elements.children if elements else []:
                if child.type == "command_parameter":
                    named, after_parameter = True, True
                elif child.type != "command_argument_sep":
                    if not after_parameter:
                        args.append(child)
                    after_parameter = False
            found.append((name, args, named, command))
        return found

    def invocations(self, node: Node | None = None) -> list[tuple[str, list[Node], Node]]:
        """Method calls: (lower-cased member name, argument nodes, node)."""
        found = []
        for call in walk(node or self.root):
            if call.type != "invokation_expression":
                continue
            member = _first(call, "member_name")
            arg_list = _first(call, "argument_list")
            expressions = _first(arg_list, "argument_expression_list") if arg_list else None
            args = [a for a in (expressions.children if expressions else []) if a.type != ","]
            found.append((text(member).lower() if member else "", args, call))
        return found

    def function_of(self, node: Node) -> str | None:
        current = node.parent
        while current is not None:
            if current.type == "function_statement":
                return text(_first(current, "function_name")).lower()
            current = current.parent
        return None

    def parameters(self, function: Node) -> list[str]:
        declaration = _first(function, "function_parameter_declaration")
        if declaration is None:
            return []
        return [
            text(_first(p, "variable")).lower()
            for p in walk(declaration)
            if p.type == "script_parameter"
        ]

    @cached_property
    def script_variables(self) -> set[str]:
        """Variables assigned at the top level before the first function (its constants)."""
        names = set()
        for statement in self.statements:
            if statement.type == "function_statement":
                break
            names |= _assigned_variables(statement)
        return names

    @cached_property
    def all_commands(self) -> list[tuple[str, list[Node], bool, Node]]:
        return self.commands()

    def calls(self, function: Node) -> set[str]:
        return {
            name
            for name, _unused, _unused2, node in self.all_commands
            if name in self.functions and function.start_byte <= node.start_byte < function.end_byte
        }


def _first(node: Node, node_type: str) -> Node | None:
    return next((c for c in node.children if c.type == node_type), None)


def _assigned_variables(node: Node) -> set[str]:
    names = set()
    for n in walk(node):
        if n.type == "assignment_expression":
            left = text(_first(n, "left_assignment_expression")).strip()
            if re.fullmatch(r"\$\w+", left):
                names.add(left.lower())
        elif n.type == "foreach_statement":
            names.add(text(_first(n, "variable")).lower())
    return names


def _string_value(node: Node) -> object:
    """A PowerShell literal from the spec as Python: strings, booleans, @() lists, hashes."""
    source = text(node).strip()
    literal = next(
        (n for n in walk(node) if n.type in ("hash_literal_expression", "array_expression")),
        None,
    )
    if literal is not None and literal.type == "hash_literal_expression":
        return _hash_value(literal)
    if literal is not None and text(literal) == source:
        inner = re.findall(r"'([^']*)'", source)
        return inner
    if source in ("$true", "$false"):
        return source == "$true"
    if source.startswith("'") and source.endswith("'"):
        return source[1:-1]
    if re.fullmatch(r"\d+", source):
        return int(source)
    raise AssertionError(f"unsupported literal in spec: {source}")


def _hash_value(node: Node) -> dict:
    body = _first(node, "hash_literal_body")
    result = {}
    for entry in body.children if body else []:
        if entry.type != "hash_entry":
            continue
        key = text(_first(entry, "key_expression"))
        value = [c for c in entry.named_children if c.type != "key_expression"][-1]
        result[key] = _string_value(value)
    return result


# ----- the checks ------------------------------------------------------------------------


def header_problems(script: Script) -> list[str]:
    problems = []
    lines = script.source.splitlines()
    if not lines or lines[0] != "#!powershell":
        problems.append("the first line must be '#!powershell'")
    leading = [text(c) for c in script.root.children if c.type == "comment"]
    first_statement = script.statements[0].start_byte if script.statements else 0
    requires = [
        c
        for c in script.root.children
        if c.type == "comment" and text(c) == "#AnsibleRequires -CSharpUtil Ansible.Basic"
    ]
    if not requires or requires[0].start_byte > first_statement:
        problems.append("'#AnsibleRequires -CSharpUtil Ansible.Basic' must precede the code")
    if not leading:
        problems.append("no leading comments")
    return problems


def module_shape_problems(script: Script) -> list[str]:
    statements = script.statements
    if len(statements) < 2:
        return ["too few statements"]
    problems = []
    first, second = (re.sub(r"\s+", " ", text(s)) for s in statements[:2])
    if not first.startswith("$spec = @{"):
        problems.append(f"the first statement must assign $spec, not: {first[:40]}")
    if second != "$module = [Ansible.Basic.AnsibleModule]::Create($args, $spec)":
        problems.append(f"the second statement must create the module, not: {second[:60]}")
    if spec_of(script).get("supports_check_mode") is not True:
        problems.append("supports_check_mode must be $true")
    return problems


def spec_of(script: Script) -> dict:
    hashes = [n for n in walk(script.statements[0]) if n.type == "hash_literal_expression"]
    return _hash_value(hashes[0]) if hashes else {}


def documented_options() -> dict:
    namespace: dict = {}
    exec(compile(DOCS.read_text(encoding="utf-8"), str(DOCS), "exec"), namespace)
    return yaml.safe_load(namespace["DOCUMENTATION"])["options"]


def docs_mismatches(spec: dict, documented: dict) -> list[str]:
    problems = []
    options = spec.get("options", {})
    if set(options) != set(documented):
        problems.append(f"options differ: spec {sorted(options)}, docs {sorted(documented)}")
    for name in set(options) & set(documented):
        for attribute in ("type", "elements", "required", "default", "choices"):
            in_spec = options[name].get(attribute, False if attribute == "required" else None)
            in_docs = documented[name].get(attribute, False if attribute == "required" else None)
            if in_spec != in_docs:
                problems.append(f"{name}.{attribute}: spec {in_spec!r}, docs {in_docs!r}")
    return problems


def contract_error_kinds() -> list[str]:
    paragraph = CONTRACT.read_text(encoding="utf-8").split("Error kinds:", 1)[1].split("\n\n")[0]
    return re.findall(r"`([a-z_]+)` \(", paragraph)


def error_kind_problems(script: Script) -> list[str]:
    raised = {
        text(args[0]).strip("'")
        for name, args, _unused, _unused2 in script.commands()
        if name == "stop-engine" and args
    }
    kinds = set(contract_error_kinds())
    problems = [f"error kind never raised: {k}" for k in sorted(kinds - raised)]
    problems += [f"error kind not in the contract: {k}" for k in sorted(raised - kinds)]
    return problems


def forbidden_problems(script: Script) -> list[str]:
    problems = [
        f"forbidden command {name}"
        for name, *_unused in script.all_commands
        if name in FORBIDDEN_CMDLETS
    ]
    for member, _unused, node in script.invocations():
        if member == "deletesubkeytree":
            problems.append("DeleteSubKeyTree is forbidden: keys are never deleted recursively")
        if member == "deletesubkey" and script.function_of(node) != "remove-keyifempty":
            problems.append("DeleteSubKey outside Remove-KeyIfEmpty")
    for node in walk(script.root):
        if node.type == "member_access" and re.fullmatch(
            r"\$module\.Params", text(node.children[0])
        ):
            problems.append(
                f"dot access on $module.Params ('keys' is a dictionary member): {text(node)}"
            )
    return problems


def command_problems(script: Script) -> list[str]:
    problems = []
    for name, args, named, node in script.all_commands:
        if name in script.functions:
            expected = len(script.parameters(script.functions[name]))
            if named or len(args) != expected:
                problems.append(
                    f"line {node.start_point[0] + 1}: {name} takes {expected} positional "
                    f"argument(s), given {len(args)}{' and named ones' if named else ''}"
                )
        elif name not in ALLOWED_CMDLETS:
            problems.append(f"line {node.start_point[0] + 1}: unknown command {name}")
    return problems


def variable_problems(script: Script) -> list[str]:
    problems = []
    visible = script.script_variables | AUTOMATIC_VARIABLES
    for name, function in script.functions.items():
        parameters = set(script.parameters(function))
        body = _first(function, "script_block")
        defined = visible | parameters | (_assigned_variables(body) if body else set())
        used = {text(n).lower() for n in walk(body) if n.type == "variable"} if body else set()
        for variable in sorted(used):
            scope = variable[1:].split(":", 1)[0] if ":" in variable else None
            if variable not in defined and scope not in SCOPES:
                problems.append(f"{name}: {variable} is used but never assigned")
        problems += [f"{name}: parameter {p} is never used" for p in sorted(parameters - used)]
    for variable in {text(n).lower() for n in walk(script.root) if n.type == "variable"}:
        if ":" in variable and variable[1:].split(":", 1)[0] not in SCOPES:
            problems.append(f"{variable} reads as a scope- or drive-qualified variable")
    return problems


def string_problems(script: Script) -> list[str]:
    """ "$Where: x" is the variable ${Where:}, not $Where and a colon: it must be escaped."""
    problems = []
    for node in walk(script.root):
        if node.type == "expandable_string_literal":
            for match in re.finditer(r"(?<!`)\$(\w+):(?!:)", text(node)):
                if match.group(1).lower() not in SCOPES:
                    problems.append(
                        f"line {node.start_point[0] + 1}: '${match.group(1)}:' in {text(node)[:50]}"
                    )
    return problems


def collection_return_problems(script: Script) -> list[str]:
    """A returned collection is unrolled by the pipeline unless returned as ', $x'."""
    problems = []
    for name, function in script.functions.items():
        collections = set()
        for n in walk(function):
            if n.type == "assignment_expression":
                right = text(n)[len(text(_first(n, "left_assignment_expression"))) :]
                if re.search(r"(List\[|HashSet\[|\[byte\[\]\])[^=]*::new\(", right):
                    collections.add(text(_first(n, "left_assignment_expression")).strip().lower())
        for n in walk(function):
            is_return = n.type == "flow_control_statement"
            returned = re.fullmatch(r"return\s+(\$\w+)", text(n)) if is_return else None
            if returned and returned.group(1).lower() in collections:
                problems.append(f"{name}: '{text(n)}' unrolls the collection; use 'return , $x'")
    return problems


def check_mode_problems(script: Script) -> list[str]:
    problems = []
    direct = {
        script.function_of(node)
        for member, _unused, node in script.invocations()
        if member in WRITE_MEMBERS
    } | {
        script.function_of(node)
        for name, _unused, _unused2, node in script.commands()
        if name in WRITE_CMDLETS
    }
    if None in direct:
        problems.append("the top level writes directly")
    writers = set(direct) - {None}
    changed = True
    while changed:
        callers = {
            name
            for name, function in script.functions.items()
            if script.calls(function) & writers and "invoke-writes" not in writers & {name}
        }
        new = {c for c in callers if not (script.calls(script.functions[c]) & {"invoke-writes"})}
        changed = not new <= writers
        writers |= new
    problems += [f"{w} can write but is not part of phase 2" for w in sorted(writers - PHASE_TWO)]
    for name, _unused, _unused2, node in script.commands():
        if name == "invoke-writes" and not _guarded_by_check_mode(node):
            problems.append(
                f"line {node.start_point[0] + 1}: Invoke-Writes is not guarded by check mode"
            )
    return problems


def _guarded_by_check_mode(node: Node) -> bool:
    current = node.parent
    while current is not None:
        if current.type == "if_statement":
            condition = text(current).split("{", 1)[0]
            if re.search(r"-not\s+\$module\.CheckMode", condition):
                return True
        current = current.parent
    return False


def registry_call_problems(script: Script) -> list[str]:
    problems = []
    for member, args, node in script.invocations():
        line = node.start_point[0] + 1
        if member == "opensubkey" and (len(args) != 2 or text(args[1]) not in ("$true", "$false")):
            problems.append(f"line {line}: OpenSubKey must say whether it opens for writing")
        if member == "getvalue" and (
            len(args) != 3 or "DoNotExpandEnvironmentNames" not in text(args[2])
        ):
            problems.append(f"line {line}: GetValue must not expand REG_EXPAND_SZ")
    return problems


def dictionary_call_problems(script: Script) -> list[str]:
    """Request objects are Dictionary[string, object] (no public Contains): use ContainsKey.

    Contains is allowed only on objects the script builds itself ([ordered] states) and on
    Exception.Data.
    """
    problems = []
    for member, _unused, node in script.invocations():
        target = text(node.children[0])
        if member == "contains" and target not in ("$e.Data", "$State"):
            problems.append(f"line {node.start_point[0] + 1}: {target}.Contains(); use ContainsKey")
    return problems


CHECKS = [
    dictionary_call_problems,
    header_problems,
    module_shape_problems,
    error_kind_problems,
    forbidden_problems,
    command_problems,
    variable_problems,
    string_problems,
    collection_return_problems,
    check_mode_problems,
    registry_call_problems,
]


@pytest.fixture(scope="module")
def script() -> Script:
    return Script(SCRIPT.read_text(encoding="utf-8"))


# ----- tests on the script -----------------------------------------------------------------


def test_script_parses_without_errors(script):
    assert syntax_problems(script.source) == []


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_script_passes_check(script, check):
    assert check(script) == []


def test_spec_matches_documentation(script):
    assert docs_mismatches(spec_of(script), documented_options()) == []
    assert set(spec_of(script)["options"]) == {
        "action",
        "keys",
        "accounts",
        "firewall_rules",
        "policy_sources",
        "changes",
    }


def test_script_is_short():
    # One small engine: the decisions live on the controller. (Raised from 500 for the
    # Resultant Set of Policy read, which only decodes what WMI returns.)
    assert len(SCRIPT.read_text(encoding="utf-8").splitlines()) < 560


def test_constants_match_the_contract(script):
    contract = CONTRACT.read_text(encoding="utf-8")
    version = re.search(r"Contract version: \*\*(\d+)\*\*", contract).group(1)
    assert f"$ContractVersion = {version}\n" in script.source
    assert "'@FirewallAPI.dll,-33002'" in script.source and "@FirewallAPI.dll,-33002" in contract
    types = re.findall(r"^\| `(REG_[A-Z_]+)` \|", contract, re.M)
    kinds = _hash_value(_assignment_hash(script, "$KindByType"))
    assert sorted(kinds) == sorted(types)
    # RSoP reports value types as registry type numbers: every contract type, nothing else.
    numbers = _hash_value(_assignment_hash(script, "$TypeByNumber"))
    assert sorted(numbers.values()) == sorted(types)
    assert numbers == {"1": "REG_SZ", "2": "REG_EXPAND_SZ", "3": "REG_BINARY", "4": "REG_DWORD",
                       "7": "REG_MULTI_SZ", "11": "REG_QWORD"}  # fmt: skip
    fields = dict(re.findall(r"`(set_value|delete_value|set_rule)`: `([a-z_, ]+)`", contract))
    change_fields = _hash_value(_assignment_hash(script, "$ChangeFields"))
    assert {op: ", ".join(f) for op, f in change_fields.items()} == fields


def test_missing_rsop_is_not_an_error(script):
    # Outside a domain the RSoP namespace may be missing: the read must answer available false.
    function = script.functions["get-policysources"]
    queries = [n for name, _a, _n, n in script.commands(function) if name == "get-ciminstance"]
    assert len(queries) == 2
    for node in queries:
        assert "-ErrorAction Stop" in text(node)
        inside = node.parent
        while inside is not None and inside.type != "try_statement":
            inside = inside.parent
        assert inside is not None and "available = $false" in text(inside)


def _assignment_hash(script: Script, variable: str) -> Node:
    for statement in script.statements:
        if text(statement).startswith(f"{variable} = @{{"):
            return next(n for n in walk(statement) if n.type == "hash_literal_expression")
    raise AssertionError(f"{variable} is not assigned a hash literal at the top level")


# ----- the checks themselves must be able to fail ------------------------------------------


@pytest.mark.parametrize(
    "snippet",
    [
        "function f { if ($a { } }",
        "$x = @{ a = 1",
        "try { $a } catch {",
        "function f {",
    ],
)
def test_parser_detects_syntax_errors(snippet):
    assert syntax_problems(snippet) != []


def test_parser_accepts_valid_snippet():
    assert syntax_problems("function f([string]$A) { return , $A.Split('\\') }") == []


MUTATIONS = {
    dictionary_call_problems: ("$Raw.ContainsKey('op')", "$Raw.Contains('op')"),
    header_problems: ("#!powershell\n", "#!pwsh\n"),
    module_shape_problems: ("supports_check_mode = $true", "supports_check_mode = $false"),
    error_kind_problems: ("Stop-Engine 'rule_foreign'", "Stop-Engine 'rule_missing'"),
    forbidden_problems: ("$Hklm.DeleteSubKey($SubKey, $false)", "$Hklm.DeleteSubKeyTree($SubKey)"),
    command_problems: (
        "Stop-Engine 'access_denied' \"Failed",
        "Stop-Engin 'access_denied' \"Failed",
    ),
    variable_problems: (
        "$key.Dispose() }\n    return [ordered]@{ path",
        "$kye.Dispose() }\n    return [ordered]@{ path",
    ),
    string_problems: ('"Invalid $Where`: unknown', '"Invalid $Where: unknown'),
    collection_return_problems: ("return , $changes", "return $changes"),
    check_mode_problems: ("if (-not $module.CheckMode) {", "if ($true) {"),
    registry_call_problems: (
        "$Hklm.OpenSubKey($KeyPath.SubKey, $false)",
        "$Hklm.OpenSubKey($KeyPath.SubKey)",
    ),
}


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_check_fails_on_a_broken_copy(script, check):
    old, new = MUTATIONS[check]
    assert old in script.source, f"mutation target for {check.__name__} moved"
    broken = Script(script.source.replace(old, new, 1))
    assert check(broken) != []


def test_extra_command_and_wrong_arity_are_reported(script):
    broken = Script(
        script.source.replace(
            "Stop-Engine 'bad_request' \"Invalid action",
            "Invoke-Expression 'x'; Stop-Engine \"Invalid action",
            1,
        )
    )
    problems = forbidden_problems(broken) + command_problems(broken)
    assert any("invoke-expression" in p for p in problems)
    assert any("stop-engine takes 2" in p for p in problems)


def test_docs_mismatch_is_reported(script):
    documented = documented_options()
    documented["keys"] = {**documented["keys"], "default": None}
    documented["extra"] = {"type": "str"}
    problems = docs_mismatches(spec_of(script), documented)
    assert any("keys.default" in p for p in problems)
    assert any("options differ" in p for p in problems)


def test_writes_outside_phase_two_are_reported(script):
    broken = Script(
        script.source.replace(
            "function Read-KeyEntry($KeyPath) {",
            "function Read-KeyEntry($KeyPath) {\n    $Hklm.CreateSubKey($KeyPath.SubKey).Dispose()",
            1,
        )
    )
    assert any("read-keyentry can write" in p for p in check_mode_problems(broken))
