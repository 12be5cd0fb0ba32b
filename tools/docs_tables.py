"""Write the docs' tables of value names, presets and profiles from the code that defines them.

    python tools/docs_tables.py            # rewrite every generated block in the docs
    python tools/docs_tables.py --check    # exit 1 naming each block that differs (tests do this)

A block in a Markdown file is

    <!-- generated: tools/docs_tables.py NAME -->
    ...
    <!-- end generated -->

and everything between the two markers is replaced by what TABLES[NAME] returns. The facts
come from one place each: the registry table in plugins/plugin_utils/_offer_policy.py, the
presets and default rule Names in _fw_presets.py, the firewall profiles in _fw_policy.py and
_fw_rules.py, the options in the modules' argument specs and DOCUMENTATION, the role's
variables in its meta/argument_specs.yml, the lab's host profiles in winra_lab. Edit those,
then run this tool; never edit inside a block.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# The collection's code imports itself by its FQCN; `make venv` links the checkout there.
sys.path.insert(0, str(ROOT / "collections"))

from ansible_collections.winra.remote_assistance.plugins.plugin_utils import (  # noqa: E402
    _fleet_report,
    _fw_options,
    _fw_policy,
    _fw_presets,
    _fw_rules,
    _offer_options,
    _offer_policy,
)

DOCS = [
    "docs/registry-values.md",
    "docs/architecture.md",
    "docs/role.md",
    "docs/lab.md",
    "docs/modules/win_offer_ra.md",
    "docs/modules/win_ra_firewall.md",
]
BLOCK = re.compile(
    r"(?P<start><!-- generated: tools/docs_tables\.py (?P<name>[\w-]+) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<end><!-- end generated -->)",
    re.DOTALL,
)
# Ansible documentation markup -> Markdown: C(x), V(x), O(x), I(x), M(x) -> `x`; B(x) -> **x**.
MARKUP = re.compile(r"\b([CVOIMB])\(([^()]*(?:\([^()]*\)[^()]*)*)\)")


def code(text: object) -> str:
    return f"`{text}`"


def reg_path(path: str) -> str:
    """`HKLM:\\...` (PowerShell's drive form, as the engine takes it) as the docs write it."""
    return path.replace("HKLM:\\", "HKLM\\", 1)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def from_markup(text: str) -> str:
    return MARKUP.sub(lambda m: f"**{m[2]}**" if m[1] == "B" else code(m[2]), text)


def first_sentence(description: str | list[str]) -> str:
    paragraph = description if isinstance(description, str) else description[0]
    sentence = re.match(r"(.+?\.)(?:\s|$)", paragraph.strip(), re.DOTALL)
    return from_markup(" ".join((sentence[1] if sentence else paragraph).split()))


# --- the registry values (docs/registry-values.md) -------------------------------------


def table_cell(data: object) -> str:
    if data is _offer_policy.ABSENT:
        return "deleted"
    if isinstance(data, _offer_policy.FromOption):
        if not data.mapping:
            return f"the `{data.option}` value"
        return " or ".join(f"{value} (`{data.option}: {option}`)" for option, value in data.mapping)
    return str(data)


def value_columns(table_rows: dict) -> list[str]:
    names = list(next(iter(table_rows.values())))
    return [f"`{name}` ({_offer_policy.POLICY_VALUES[name][1]})" for name in names]


def offer_values() -> str:
    rows_by_state = _offer_policy.OFFER_TABLE
    helpers = reg_path(_offer_policy.HELPERS_KEY).rsplit("\\", 1)[1]
    header = [code("state"), *value_columns(rows_by_state), f"`...\\{helpers}`"]
    rows = []
    for state, row in rows_by_state.items():
        # The helper list follows the policy state (_offer_policy._helper_wants).
        list_cell = (
            f"one {_offer_policy.HELPER_TYPE} per helper, value name = data = `DOMAIN\\name`; "
            "with `helpers_mode: exact` the list is exclusive, as Group Policy writes it"
            if state == "enabled"
            else "every value deleted"
        )
        rows.append([code(state), *(table_cell(data) for data in row.values()), list_cell])
    key = f"Key `{reg_path(_offer_policy.POLICY_KEY)}`:"
    return f"{key}\n\n{table(header, rows)}"


def solicited_values() -> str:
    rows_by_state = _offer_policy.SOLICITED_TABLE
    header = [code("solicited.state"), *value_columns(rows_by_state)]
    rows = [
        [code(state), *(table_cell(data) for data in row.values())]
        for state, row in rows_by_state.items()
    ]
    expiry = (
        f"`max_ticket_expiry` is {_offer_options.TICKET_EXPIRY_MIN} to "
        f"{_offer_options.TICKET_EXPIRY_MAX}."
    )
    return f"{table(header, rows)}\n\n{expiry}"


def dcom_value() -> str:
    return (
        f"DCOM (option `dcom`): `{reg_path(_offer_policy.OLE_KEY)}`, "
        f"`{_offer_policy.DCOM_VALUE}`, **REG_SZ** `{_offer_policy.DCOM_ON}`."
    )


def firewall_policy_keys() -> str:
    root = reg_path(_fw_policy.POLICY_ROOT)
    kinds = list(_fw_policy.LISTS)
    header = [code("profiles") + " entry", *(f"{kind} exceptions" for kind in kinds)]
    rows = [
        [
            code(profile),
            *(f"`{root}\\{key}\\{_fw_policy.LISTS[kind][0]}\\List`" for kind in kinds),
        ]
        for profile, key in _fw_policy.PROFILE_KEYS.items()
    ]
    return table(header, rows)


def firewall_presets() -> str:
    parts = []
    for name in _fw_presets.PRESET_NAMES:
        ports, programs = _fw_presets.preset_strings(name)
        default = " (the module's default)" if name == _fw_presets.DEFAULT_PRESET else ""
        entries = [*ports, *programs]
        if not entries:
            parts.append(f"`{name}`{default}: no entries.")
            continue
        listing = "\n".join(entries)
        parts.append(f"`{name}`{default}:\n\n```\n{listing}\n```")
    return "\n\n".join(parts)


def firewall_default_rules() -> str:
    rules = "\n".join(f"- `{name}`" for name in _fw_presets.DEFAULT_RULES)
    return (
        f"Default rule Names (rules group `{_fw_rules.REMOTE_ASSISTANCE_GROUP}`), "
        f"in the `{_fw_options.DEFAULT_PROFILES['rules'][0]}` profile unless `profiles` "
        f"says otherwise:\n\n{rules}"
    )


def firewall_profiles() -> str:
    header = [code("backend"), "`profiles` it accepts", "default"]
    rows = [
        [
            code(backend),
            ", ".join(code(p) for p in _fw_options.PROFILES[backend]),
            code("[" + ", ".join(_fw_options.DEFAULT_PROFILES[backend]) + "]"),
        ]
        for backend in _fw_options.BACKENDS
    ]
    return table(header, rows)


# --- the modules' options (docs/architecture.md) ----------------------------------------


def _documentation_string(path: Path) -> str:
    """The DOCUMENTATION string of a module or doc fragment file, read without importing it."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "DOCUMENTATION":
            return node.value.value
    raise LookupError(f"{path}: no DOCUMENTATION")


def module_documentation(module: str) -> dict:
    """A module's DOCUMENTATION with the options of this collection's doc fragments merged
    in (a module's own option wins, as in ansible-doc)."""
    doc = yaml.safe_load(_documentation_string(ROOT / "plugins" / "modules" / f"{module}.py"))
    prefix = "winra.remote_assistance."
    for fragment in doc.get("extends_documentation_fragment") or []:
        if fragment.startswith(prefix):
            path = ROOT / "plugins" / "doc_fragments" / f"{fragment[len(prefix) :]}.py"
            options = yaml.safe_load(_documentation_string(path)).get("options") or {}
            doc["options"] = {**options, **doc.get("options", {})}
    return doc


def spec_type(spec: dict) -> str:
    if spec.get("choices"):
        return " / ".join(code(choice) for choice in spec["choices"])
    if spec["type"] == "list":
        return f"list of {spec.get('elements', 'raw')}"
    return spec["type"]


def spec_default(spec: dict) -> str:
    default = spec.get("default")
    if default is None:
        return code("null")
    if isinstance(default, bool):
        return code(str(default).lower())
    if isinstance(default, list):
        return code("[" + ", ".join(default) + "]")
    return code(default)


def suboptions(spec: dict) -> str:
    """' Keys: `a` (choices, default), ...' for a dict option; '' for any other."""
    keys = []
    for key, key_spec in (spec.get("options") or {}).items():
        facts = [spec_type(key_spec)]
        if key_spec.get("default") is not None:
            facts.append(f"default {spec_default(key_spec)}")
        keys.append(f"`{key}` ({', '.join(facts)})")
    return f" Keys: {', '.join(keys)}." if keys else ""


def options_table(module: str, spec: dict, computed: dict[str, tuple[str, str]]) -> str:
    """One row per option of the argument spec: type and default from the spec, meaning from
    DOCUMENTATION. `computed` gives (default, note) for options whose default the plugin
    fills in."""
    documented = module_documentation(module)["options"]
    rows = []
    for option, option_spec in spec.items():
        default, note = computed.get(option, (spec_default(option_spec), ""))
        meaning = first_sentence(documented[option]["description"]) + suboptions(option_spec)
        rows.append([code(option), spec_type(option_spec), default, meaning + note])
    return table(["option", "type", "default", "meaning"], rows)


def offer_options() -> str:
    return options_table("win_offer_ra", _offer_options.ARGUMENT_SPEC, {})


def firewall_options() -> str:
    # Options whose spec default is None: the plugin fills them in from the backend/preset.
    backends = _fw_options.BACKENDS
    profiles = ", ".join(
        f"`[{', '.join(_fw_options.DEFAULT_PROFILES[b])}]` ({b})" for b in backends
    )
    accepted = "; ".join(
        f"{b} {', '.join(code(p) for p in _fw_options.PROFILES[b])}" for b in backends
    )
    computed = {
        "ports": ("the preset's", ""),
        "programs": ("the preset's", ""),
        "profiles": (profiles, f" By backend: {accepted}."),
        "rules": (", ".join(code(name) for name in _fw_presets.DEFAULT_RULES), ""),
    }
    return options_table("win_ra_firewall", _fw_options.ARGUMENT_SPEC, computed)


def setting_labels() -> str:
    labels = ", ".join(code(label) for label in _fleet_report.KNOWN_SETTINGS)
    return f"`setting` is one of {labels}."


# --- the role's variables (docs/role.md) --------------------------------------------------


def role_variables() -> str:
    spec_file = ROOT / "roles" / "offer_remote_assistance" / "meta" / "argument_specs.yml"
    options = yaml.safe_load(spec_file.read_text("utf-8"))["argument_specs"]["main"]["options"]
    rows = []
    for name, spec in options.items():
        meaning = " ".join(
            from_markup(part)
            for part in ([spec["description"]] if isinstance(spec["description"], str)
                         else spec["description"])
        )  # fmt: skip
        if spec.get("choices"):
            meaning += f" One of {spec_type(spec)}."
        meaning += suboptions(spec)
        rows.append([code(name), spec_default(spec), meaning])
    return table(["variable", "default", "meaning"], rows)


# --- the lab's host profiles (docs/lab.md) ------------------------------------------------


def lab_profiles() -> str:
    from winra_lab.windows.profiles import PROFILES

    return table(["profile", "the host"], [[code(n), d] for n, d in PROFILES.items()])


TABLES: dict[str, Callable[[], str]] = {
    "offer-values": offer_values,
    "solicited-values": solicited_values,
    "dcom-value": dcom_value,
    "firewall-policy-keys": firewall_policy_keys,
    "firewall-presets": firewall_presets,
    "firewall-default-rules": firewall_default_rules,
    "firewall-profiles": firewall_profiles,
    "offer-options": offer_options,
    "firewall-options": firewall_options,
    "setting-labels": setting_labels,
    "role-variables": role_variables,
    "lab-profiles": lab_profiles,
}


def render(text: str, where: str = "") -> str:
    """`text` with every generated block rewritten; unknown block names are an error."""

    def replace(match: re.Match) -> str:
        name = match["name"]
        if name not in TABLES:
            raise KeyError(
                f"{where}: unknown generated block {name!r} (known: {', '.join(TABLES)})"
            )
        return f"{match['start']}{TABLES[name]()}\n{match['end']}"

    return BLOCK.sub(replace, text)


def block_names(text: str) -> list[str]:
    return [match["name"] for match in BLOCK.finditer(text)]


def stale(root: Path = ROOT) -> list[str]:
    """'file: block' for every block whose text is not what the tool writes now."""
    found = []
    for doc in DOCS:
        text = (root / doc).read_text(encoding="utf-8")
        current = [(m["name"], m["body"]) for m in BLOCK.finditer(text)]
        fresh = [m["body"] for m in BLOCK.finditer(render(text, doc))]
        found += [
            f"{doc}: {name}"
            for (name, body), new in zip(current, fresh, strict=True)
            if body != new
        ]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale blocks, write nothing")
    args = parser.parse_args(argv)
    if args.check:
        found = stale()
        for block in found:
            print(f"docs_tables: out of date: {block} (run tools/docs_tables.py)", file=sys.stderr)
        return 1 if found else 0
    for doc in DOCS:
        path = ROOT / doc
        text = path.read_text(encoding="utf-8")
        new = render(text, doc)
        if new != text:
            path.write_text(new, encoding="utf-8")
            print(f"docs_tables: rewrote {doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
