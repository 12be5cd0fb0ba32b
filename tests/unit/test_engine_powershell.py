"""Static checks of the PowerShell host engine, plugins/modules/win_ra_state.ps1.

No PowerShell runs here, so the script is parsed with tree-sitter-powershell and checked for
what a first run on Windows would otherwise reveal: syntax, the module shape without
Ansible.Basic (one option, one JSON result), agreement with its documentation and with
docs/engine-contract.md, names that are used but never defined, writes that could happen in
check mode, and the facts of Windows the engine must respect (64-bit registry view, ordinal
comparison, one firewall query, no WMI facts query, no ConvertFrom-Json, files replaced only
through a verified temporary file and File.Replace, a lock detected by its HResult). Every
check returns a list of problems so that the tests can also prove, on broken copies of the
script, that it fails.
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
ALLOWED_CMDLETS = {
    "get-ciminstance",
    "get-netfirewallrule",
    "set-netfirewallrule",
    "where-object",
    "foreach-object",
    "add-type",
    "convertto-json",
}
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
    # PowerShell 7 turns ISO-8601 strings into DateTime: the engine parses JSON itself.
    "convertfrom-json",
    # Provider cmdlets that write or truncate a file in place; files go through Write-File.
    "set-content",
    "add-content",
    "clear-content",
    "out-file",
    "copy-item",
    "move-item",
    "rename-item",
}
# .NET file members that create, change or remove a file (called as [System.IO.File]::X).
FILE_WRITE_MEMBERS = {"writeallbytes", "writealltext", "writealllines", "appendalltext",
                      "create", "openwrite", "replace", "move", "delete", "copy",
                      "createdirectory"}  # fmt: skip
MAX_LINES = 300
WRITE_MEMBERS = {"setvalue", "deletevalue", "createsubkey", "deletesubkey"}
WRITE_CMDLETS = {"set-netfirewallrule"}
# The only functions that may write; Invoke-Apply calls them after its check-mode return.
PHASE_TWO = {"write-state", "undo-writes", "write-file"}
CHECK_MODE_RETURN = "if ($complex_args['_ansible_check_mode'] -eq $true) { return }"
# $complex_args is the module arguments the Ansible module wrapper sets (global scope).
AUTOMATIC_VARIABLES = {"$_", "$true", "$false", "$null", "$psversiontable", "$complex_args"}
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
    # -ErrorVariable name assigns $name too.
    names = {f"${m.lower()}" for m in re.findall(r"-ErrorVariable\s+(\w+)", text(node))}
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
    if len(lines) < 2 or lines[1] != "#Requires -Version 5.1":
        # Without a #Requires line ansible-core sends the script as an old-style module.
        problems.append("the second line must be '#Requires -Version 5.1'")
    if re.search(r"(?im)^#AnsibleRequires", script.source):
        problems.append("no #AnsibleRequires: the engine uses no module utility")
    if not [c for c in script.root.children if c.type == "comment"]:
        problems.append("no leading comments")
    return problems


def module_shape_problems(script: Script) -> list[str]:
    """Ansible's conventions by hand: one option from $complex_args, one JSON out, exit code."""
    problems = []
    source = script.source
    if "Ansible.Basic" in re.sub(r"(?m)^#.*$", "", source) or re.search(r"\$args\b", source):
        problems.append("the engine must not use Ansible.Basic or $args")
    options = set(re.findall(r"\$complex_args\['(\w+)'\]", source))
    if options != {"request", "_ansible_check_mode"}:
        problems.append(f"$complex_args options read: {sorted(options)}")
    tail = [re.sub(r"\s+", " ", text(st)) for st in script.statements[-3:]]
    expected = [
        "[Console]::Out.WriteLine((ConvertTo-Json -InputObject $Result -Depth 20 -Compress))",
        "$global:LASTEXITCODE = $exitCode",
        "exit $exitCode",
    ]
    if tail != expected:
        problems.append(f"the script must end by printing one JSON result and exiting: {tail}")
    return problems


def documented_options() -> dict:
    namespace: dict = {}
    exec(compile(DOCS.read_text(encoding="utf-8"), str(DOCS), "exec"), namespace)
    return yaml.safe_load(namespace["DOCUMENTATION"])["options"]


def docs_mismatches(documented: dict) -> list[str]:
    problems = []
    if set(documented) != {"request"}:
        problems.append(f"documented options {sorted(documented)} are not ['request']")
    request = documented.get("request", {})
    if request.get("type") != "str" or request.get("required") is not True:
        problems.append(f"request must be a required str: {request}")
    return problems


def contract_error_kinds() -> list[str]:
    paragraph = CONTRACT.read_text(encoding="utf-8").split("Error kinds:", 1)[1].split("\n\n")[0]
    return re.findall(r"`([a-z_]+)` \(", paragraph)


def error_kind_problems(script: Script) -> list[str]:
    # A kind is a quoted word in Stop-Engine's first argument or in the assignment of
    # $Result['error'] (index quotes such as ['engine_error'] are not kinds).
    quoted = re.compile(r"(?<!\[)'(\w+)'(?!\])")
    raised = {
        kind
        for name, args, _unused, _unused2 in script.commands()
        if name == "stop-engine" and args
        for kind in quoted.findall(text(args[0]))
    }
    for assigned in re.findall(r"\$Result\['error'\] = ([^\n]*)", script.source):
        raised |= set(quoted.findall(assigned))
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
        if member == "deletesubkey" and script.function_of(node) != "undo-writes":
            problems.append("DeleteSubKey outside Undo-Writes (only keys this run created)")
    if "[Microsoft.Win32.Registry]::LocalMachine" in script.source:
        problems.append("Registry.LocalMachine follows the process bitness: open the 64-bit view")
    for name, _args, _named, node in script.all_commands:
        if name == "get-ciminstance" and (
            script.function_of(node) != "get-policyrows" or re.search(r"(?i)Win32_", text(node))
        ):
            problems.append(f"line {node.start_point[0] + 1}: a WMI query outside RSoP")
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


def file_writes(script: Script) -> list[tuple[str, list[Node], Node]]:
    """[System.IO.File]::X / [System.IO.Directory]::X calls that create, change or remove."""
    return [
        (member, args, node)
        for member, args, node in script.invocations()
        if member in FILE_WRITE_MEMBERS
        and text(node).startswith(("[System.IO.File]::", "[System.IO.Directory]::"))
    ]


def check_mode_problems(script: Script) -> list[str]:
    """Only phase-2 functions write, and Invoke-Apply reaches them after its check-mode return."""
    problems = []
    direct = (
        {
            script.function_of(node)
            for member, _unused, node in script.invocations()
            if member in WRITE_MEMBERS
        }
        | {script.function_of(node) for _member, _unused, node in file_writes(script)}
        | {
            script.function_of(node)
            for name, _unused, _unused2, node in script.commands()
            if name in WRITE_CMDLETS
        }
    )
    if None in direct:
        problems.append("the top level writes directly")
    problems += [
        f"{w} can write but is not part of phase 2" for w in sorted(direct - PHASE_TWO - {None})
    ]
    apply = script.functions.get("invoke-apply")
    guard = text(apply).find(CHECK_MODE_RETURN) if apply is not None else -1
    for name, function in script.functions.items():
        for called, _args, _named, node in script.commands(function):
            if called not in PHASE_TWO or name in PHASE_TWO:
                continue
            before_guard = node.start_byte - apply.start_byte < guard if apply else True
            if name != "invoke-apply" or guard < 0 or before_guard:
                problems.append(
                    f"line {node.start_point[0] + 1}: {name} calls {called} without the check-mode return first"
                )
    return problems


def registry_call_problems(script: Script) -> list[str]:
    problems = []
    for member, args, node in script.invocations():
        line = node.start_point[0] + 1
        if member == "opensubkey" and (len(args) != 2 or not re.fullmatch(r"\$\w+", text(args[1]))):
            problems.append(f"line {line}: OpenSubKey must say whether it opens for writing")
        if member == "getvalue" and (
            len(args) != 3 or "DoNotExpandEnvironmentNames" not in text(args[2])
        ):
            problems.append(f"line {line}: GetValue must not expand REG_EXPAND_SZ")
    if "::OpenBaseKey('LocalMachine', 'Registry64')" not in script.source:
        problems.append("HKLM must be opened through the 64-bit view")
    return problems


STATE_FIELDS = ("present", "kind", "data", "enabled", "profile", "group", "sha256")
ORDINAL_JSON_COMPARE = (
    "[string]::Equals((ConvertTo-Json -InputObject $Actual[$field] -Compress), "
    "(ConvertTo-Json -InputObject $Wanted[$field] -Compress), [System.StringComparison]::Ordinal)"
)


def comparison_problems(script: Script) -> list[str]:
    """Compare-and-swap is ordinal: -eq/-ceq compare strings by culture (NULs and soft
    hyphens ignored on .NET 5+). Test-State compares every state field's JSON text with
    String.Equals(..., Ordinal); case-sensitive operators only against a literal token."""
    problems = []
    same = script.functions.get("test-state")
    if same is None or ORDINAL_JSON_COMPARE not in text(same):
        problems.append(
            "Test-State must compare each field's JSON with String.Equals(..., Ordinal)"
        )
    listed = re.search(r"foreach \(\$field in ([^)]*)\)", text(same)) if same else None
    fields = re.findall(r"'(\w+)'", listed.group(1)) if listed else []
    if tuple(fields) != STATE_FIELDS:
        problems.append(f"Test-State must compare the fields {STATE_FIELDS}, compares {fields}")
    for node in walk(script.root):
        if node.type != "comparison_expression" or len(node.children) != 3:
            continue
        left, operator, right = (text(c).strip() for c in node.children)
        if operator.lower() not in ("-eq", "-ne", "-ceq", "-cne", "-ieq", "-ine"):
            continue
        literal = re.fullmatch(r"'[^']*'|\$true|\$false|\$null|-?\d+", right) or left == "$null"
        # Counts and lengths are numbers: -eq compares them numerically.
        literal = literal or all(re.search(r"\.(Count|Length)\)?$", side) for side in (left, right))
        if not literal:
            line = node.start_point[0] + 1
            problems.append(f"line {line}: '{text(node)}' compares by culture; compare ordinally")
    return problems


def firewall_query_problems(script: Script) -> list[str]:
    """One Get-NetFirewallRule call for all names; only ObjectNotFound errors mean absent."""
    problems = []
    queries = [n for name, _a, _n, n in script.all_commands if name == "get-netfirewallrule"]
    if len(queries) != 1 or script.function_of(queries[0]) != "get-rules":
        return [f"{len(queries)} Get-NetFirewallRule calls; expected one, in Get-Rules"]
    call = text(queries[0])
    if "-ErrorVariable" not in call or "-PolicyStore $Store" not in call:
        problems.append("Get-NetFirewallRule must collect its errors and name the policy store")
    if "'ObjectNotFound'" not in text(script.functions["get-rules"]):
        problems.append("Get-Rules must tell 'not found' from other failures")
    return problems


def file_problems(script: Script) -> list[str]:
    """The file primitives: read with FileShare.None, SHA-256, a lock told by its HResult, and
    a target changed only by File.Replace / File.Move of a verified temporary file beside it
    after a last compare-and-swap (or deleted by the undo of its creation)."""
    problems = []
    missing = {"get-filepath", "get-filestate", "write-file", "assert-notlocked"} - set(
        script.functions
    )
    if missing:
        return [f"file primitives missing: {sorted(missing)}"]
    if not re.search(
        r"\n    replace_file = @\{ op = 'string'; path = 'string'; data = 'string'; expect = 'object' \}",
        script.source,
    ):
        problems.append("the request shape of replace_file is not op, path, data, expect")
    state = text(script.functions["get-filestate"])
    if "[System.IO.File]::Open($Path, 'Open', 'Read', 'None')" not in state:
        problems.append("Get-FileState must open the file for reading with FileShare.None")
    if "[System.Security.Cryptography.SHA256]::Create().ComputeHash(" not in script.source:
        problems.append("file hashes must be SHA-256 ([System.Security.Cryptography.SHA256])")
    if "($Exception.HResult -band 0xFFFF) -in 32, 33" not in text(
        script.functions["assert-notlocked"]
    ):
        problems.append("a lock is ERROR_SHARING_VIOLATION (32) or ERROR_LOCK_VIOLATION (33)")
    write = text(script.functions["write-file"])
    steps = [
        '$temp = "$Path.winra-tmp"',
        "[System.IO.File]::WriteAllBytes($temp, $Bytes)",
        "Test-State (Get-FileState $temp) @{ present = $true; sha256 = (Get-Digest $Bytes) }",
        "Test-State (Get-FileState $Path) $Now",
        '[System.IO.File]::Replace($temp, $Path, "$Path.bak")',
    ]
    positions = [write.find(step) for step in steps]
    if -1 in positions or positions != sorted(positions):
        problems.append(
            "Write-File must write a temporary file beside the target, read it back, "
            "compare-and-swap, then File.Replace keeping .bak, in that order"
        )
    for member, args, node in file_writes(script):
        target = text(args[0]) if args else ""
        where = script.function_of(node)
        line = node.start_point[0] + 1
        final_step = member in ("replace", "move") and where == "write-file" and target == "$temp"
        undo_create = member == "delete" and where == "write-state" and target == "$Change.Path"
        folder = member == "createdirectory" and where == "write-file"
        if target != "$temp" and not final_step and not undo_create and not folder:
            problems.append(
                f"line {line}: [System.IO.File]::{member} on {target}: only the temporary file is written"
            )
        if member in ("writeallbytes", "delete") and where == "write-file" and target != "$temp":
            problems.append(f"line {line}: Write-File changes {target} in place")
    return problems


def exists_problems(script: Script) -> list[str]:
    """`exists` answers from File.Exists alone: it opens nothing, so a program in use (a
    running msra.exe) cannot fail the read and no byte of the file is read or sent."""
    if "files = 'strings'; exists = 'strings' }" not in script.source:
        return ["the read shape must take the optional field exists (strings)"]
    read = script.functions["invoke-read"]
    answers = [n for n in walk(read) if n.type == "pipeline" and "$Result['exists'] =" in text(n)]
    if len(answers) != 1:
        return [f"Invoke-Read must answer exists in one statement, found {len(answers)}"]
    called = {name for name, _args, _named, _node in script.commands(answers[0])}
    members = {member for member, _args, _node in script.invocations(answers[0])}
    problems = [f"exists runs {sorted(called)}: only [System.IO.File]::Exists"] if called else []
    if members != {"exists"} or "[System.IO.File]::Exists($probes[$i])" not in text(answers[0]):
        problems.append(f"exists calls {sorted(members)}: only [System.IO.File]::Exists")
    if "'files', 'exists') { $Result.Remove($partial) }" not in script.source:
        problems.append("a failed read must drop exists with the other partial state")
    return problems


def length_problems(script: Script) -> list[str]:
    # One small engine: decisions, decoding and sorting live on the controller.
    count = len(script.source.splitlines())
    return [f"{count} lines; at most {MAX_LINES}"] if count > MAX_LINES else []


def dictionary_call_problems(script: Script) -> list[str]:
    """Request objects are Dictionary[string, object] (no public Contains): use ContainsKey."""
    return [
        f"line {node.start_point[0] + 1}: {text(node.children[0])}.Contains(); use ContainsKey"
        for member, _unused, node in script.invocations()
        if member == "contains"
    ]


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
    comparison_problems,
    firewall_query_problems,
    file_problems,
    exists_problems,
    length_problems,
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


def test_documentation_lists_the_one_option():
    assert docs_mismatches(documented_options()) == []


def test_script_is_short():
    assert length_problems(Script(SCRIPT.read_text(encoding="utf-8"))) == []


def test_constants_match_the_contract(script):
    contract = CONTRACT.read_text(encoding="utf-8")
    version = re.search(r"Contract version: \*\*(\d+)\*\*", contract).group(1)
    assert f"contract_version = {version} }}" in script.source
    kinds = _hash_value(_assignment_hash(script, "$KindData"))
    assert sorted(kinds) == sorted(
        ["String", "ExpandString", "MultiString", "DWord", "QWord", "Binary"]
    )
    assert kinds["DWord"] == "^[0-9a-f]{8}\\z" and kinds["QWord"] == "^[0-9a-f]{16}\\z"
    fields = dict(
        re.findall(r"`(set_value|delete_value|set_rule)`:\s+`([a-z_]+(?:, [a-z_]+)+)`", contract)
    )
    assert set(fields) == {"set_value", "delete_value", "set_rule"}
    for op, listed in fields.items():
        shape = re.search(rf"\n    {op} = @\{{([^}}]*)\}}", script.source).group(1)
        assert sorted(re.findall(r"(\w+) = '", shape)) == sorted(
            listed.replace(" ", "").split(",")
        ), op


def test_missing_rsop_is_not_an_error(script):
    # Without an RSoP namespace the read answers available false; only the keys asked for.
    function = script.functions["get-policyrows"]
    queries = [n for name, _a, _n, n in script.commands(function) if name == "get-ciminstance"]
    assert len(queries) == 2
    assert "precedence = 1 AND ($filter)" in text(function) and "registryKey = '" in text(function)
    for node in queries:
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
    dictionary_call_problems: ("$Object.ContainsKey($field)", "$Object.Contains($field)"),
    header_problems: ("#Requires -Version 5.1\n", "#AnsibleRequires -CSharpUtil Ansible.Basic\n"),
    module_shape_problems: ("exit $exitCode", "exit 0"),
    error_kind_problems: (
        "Stop-Engine 'query_failed' \"Failed to resolve",
        "Stop-Engine 'lookup_failed' \"Failed to resolve",
    ),
    forbidden_problems: (
        "[Microsoft.Win32.RegistryKey]::OpenBaseKey('LocalMachine', 'Registry64')",
        "[Microsoft.Win32.Registry]::LocalMachine",
    ),
    command_problems: (
        "Stop-Engine 'access_denied' \"Failed",
        "Stop-Engin 'access_denied' \"Failed",
    ),
    variable_problems: ("finally { $key.Dispose() }", "finally { $kye.Dispose() }"),
    string_problems: ('"Invalid $where`: unknown op', '"Invalid $where: unknown op'),
    collection_return_problems: ("return , $problems", "return $problems"),
    check_mode_problems: (CHECK_MODE_RETURN, "if ($false) { return }"),
    registry_call_problems: ("'DoNotExpandEnvironmentNames')", "'None')"),
    comparison_problems: (
        ORDINAL_JSON_COMPARE,
        "((ConvertTo-Json -InputObject $Actual[$field]) -ceq (ConvertTo-Json -InputObject $Wanted[$field]))",
    ),
    firewall_query_problems: (
        "-ErrorAction SilentlyContinue -ErrorVariable failures",
        "-ErrorAction SilentlyContinue",
    ),
    file_problems: ("'Open', 'Read', 'None')", "'Open', 'Read', 'ReadWrite')"),
    exists_problems: (
        "exists = [System.IO.File]::Exists($probes[$i])",
        "exists = (Get-FileState $probes[$i]).present",
    ),
    length_problems: ("exit $exitCode\n", "exit $exitCode\n# one line too many\n"),
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
            "Invoke-Expression 'x'; ConvertFrom-Json 'x'; Stop-Engine \"Invalid action",
            1,
        )
    )
    problems = forbidden_problems(broken) + command_problems(broken)
    assert any("invoke-expression" in p for p in problems)
    assert any("convertfrom-json" in p for p in problems)
    assert any("stop-engine takes 2" in p for p in problems)


def test_docs_mismatch_is_reported():
    documented = documented_options()
    assert docs_mismatches({**documented, "keys": {"type": "list"}})
    assert docs_mismatches({"request": {"type": "str"}})


def test_writes_outside_phase_two_are_reported(script):
    broken = Script(
        script.source.replace(
            "function Read-Key([string]$Path, [string]$SubKey) {",
            "function Read-Key([string]$Path, [string]$SubKey) {\n    $Hklm.CreateSubKey($SubKey).Dispose()",
            1,
        )
    )
    assert any("read-key can write" in p for p in check_mode_problems(broken))


def test_a_wmi_facts_query_is_reported(script):
    broken = Script(
        script.source.replace(
            "function Invoke-Read($Request) {",
            "function Invoke-Read($Request) {\n    $os = Get-CimInstance -ClassName Win32_OperatingSystem",
            1,
        )
    )
    assert any("WMI query outside RSoP" in p for p in forbidden_problems(broken))


# ----- each part of the file checks can fail -------------------------------------------------


FILE_MUTATIONS = {
    "truncates the target in place": (
        "[System.IO.File]::WriteAllBytes($temp, $Bytes)",
        "[System.IO.File]::WriteAllBytes($Path, $Bytes)",
    ),
    "replaces without a backup": (
        '[System.IO.File]::Replace($temp, $Path, "$Path.bak")',
        "[System.IO.File]::Copy($temp, $Path, $true)",
    ),
    "skips the read-back": (
        "if (-not (Test-State (Get-FileState $temp) @{ present = $true; sha256 = (Get-Digest $Bytes) }))",
        "if ($false)",
    ),
    "compares before writing the temporary file": (
        "        [System.IO.File]::WriteAllBytes($temp, $Bytes)\n",
        "",
    ),
    "hashes with MD5": (
        "[System.Security.Cryptography.SHA256]::Create()",
        "[System.Security.Cryptography.MD5]::Create()",
    ),
    "misses the lock violation": ("-in 32, 33)", "-in 32)"),
    "drops the file state from the comparison": ("'group', 'sha256')", "'group')"),
}


@pytest.mark.parametrize("mutation", FILE_MUTATIONS, ids=list(FILE_MUTATIONS))
def test_file_checks_fail_on_a_broken_copy(script, mutation):
    old, new = FILE_MUTATIONS[mutation]
    assert old in script.source, f"mutation target for {mutation!r} moved"
    broken = Script(script.source.replace(old, new, 1))
    assert file_problems(broken) + comparison_problems(broken) != []


@pytest.mark.parametrize("cmdlet", ["Set-Content", "Remove-Item", "Out-File"])
def test_a_provider_write_of_a_file_is_reported(script, cmdlet):
    broken = Script(
        script.source.replace(
            '    $temp = "$Path.winra-tmp"\n',
            f'    $temp = "$Path.winra-tmp"\n    {cmdlet} -LiteralPath $Path -Value $Bytes\n',
            1,
        )
    )
    assert any(cmdlet.lower() in p for p in forbidden_problems(broken) + command_problems(broken))


def test_a_file_write_before_the_check_mode_return_is_reported(script):
    broken = Script(
        script.source.replace(
            "function Get-FileState([string]$Path) {",
            "function Get-FileState([string]$Path) {\n    [System.IO.File]::Delete($Path)",
            1,
        )
    )
    assert any("get-filestate can write" in p for p in check_mode_problems(broken))


@pytest.mark.parametrize(
    "probe",
    [
        "[System.IO.File]::Open($probes[$i], 'Open', 'Read', 'None').Dispose() -or $true",
        "[System.IO.File]::ReadAllBytes($probes[$i]).Length -ge 0",
        "Test-Path -LiteralPath $probes[$i]",
    ],
)
def test_an_exists_probe_that_opens_the_file_is_reported(script, probe):
    broken = Script(script.source.replace("[System.IO.File]::Exists($probes[$i])", f"({probe})", 1))
    assert exists_problems(broken) != []
