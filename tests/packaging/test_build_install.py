"""The Galaxy artifact: what it holds, and that an installed copy works on its own.

Everything after the build runs against the installed copy only: ANSIBLE_COLLECTIONS_PATH
names just the install directory and the working directory has no ansible.cfg, so nothing
can fall back to the checkout.
"""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest
from artifact_tools import run, tool

FQCN = "winra.remote_assistance"

# Must ship: the plugins, the role, the playbooks and the metadata Galaxy and
# ansible-builder read.
REQUIRED_MEMBERS = [
    "MANIFEST.json",
    "FILES.json",
    "README.md",
    "meta/runtime.yml",
    "meta/execution-environment.yml",
    "meta/ee-requirements.txt",
    "meta/ee-bindep.txt",
    "changelogs/changelog.yaml",
    "plugins/action/win_offer_ra.py",
    "plugins/action/win_ra_firewall.py",
    "plugins/modules/win_offer_ra.py",
    "plugins/modules/win_ra_firewall.py",
    "plugins/modules/win_ra_state.ps1",
    "plugins/modules/win_ra_state.py",
    "plugins/filter/fleet_report.py",
    "plugins/plugin_utils/_engine_action.py",
    "roles/offer_remote_assistance/tasks/main.yml",
    "roles/offer_remote_assistance/meta/argument_specs.yml",
    "playbooks/site.yml",
    "playbooks/audit.yml",
]

# Must not ship: the lab and its tests, tooling, caches, build output, virtual environments.
FORBIDDEN_PREFIXES = (
    "lab/",
    ".venv",
    "collections/",
    "tools/",
    "tests/output/",
    "tests/lab/",
    "tests/e2e/",
    "tests/packaging/",
    "tests/contract/",
    "tests/fixtures/",
    "tests/bench/",
    "docs/site/",
    "build/",
    "dist/",
    ".git/",
    ".lab/",
    "reports/",
    ".ansible/",
    "bench/",
    "examples/lab/",
    "ansible.cfg",
    "Makefile",
    "requirements.txt",
    "execution-environment.yml",
)
FORBIDDEN_PARTS = ("__pycache__", ".pytest_cache", ".ruff_cache", ".egg-info")


@pytest.fixture(scope="module")
def members(artifact) -> list[str]:
    with tarfile.open(artifact) as tar:
        return [m.name.removeprefix("./") for m in tar.getmembers() if m.isfile()]


@pytest.fixture(scope="module")
def installed(artifact, isolated) -> Path:
    work, env = isolated
    collections = Path(env["ANSIBLE_COLLECTIONS_PATH"])
    run(
        [tool("ansible-galaxy"), "collection", "install", str(artifact), "-p", str(collections)],
        work,
        env,
    )
    return collections / "ansible_collections" / "winra" / "remote_assistance"


def test_artifact_holds_what_users_need(members):
    missing = [m for m in REQUIRED_MEMBERS if m not in members]
    assert not missing, f"missing from the artifact: {missing}"


def test_artifact_leaves_out_lab_tooling_and_scratch(members):
    leaked = [
        m
        for m in members
        if m.startswith(FORBIDDEN_PREFIXES) or any(part in m for part in FORBIDDEN_PARTS)
    ]
    assert not leaked, f"should not ship: {leaked}"
    assert not [m for m in members if m.endswith((".pyc", ".tar.gz"))]


def test_manifest_matches_galaxy_yml(artifact, galaxy):
    with tarfile.open(artifact) as tar:
        manifest = json.load(tar.extractfile("MANIFEST.json"))["collection_info"]
    assert (manifest["namespace"], manifest["name"]) == (galaxy["namespace"], galaxy["name"])
    assert manifest["version"] == galaxy["version"]


def test_installed_copy_is_the_only_one_ansible_sees(installed, isolated):
    work, env = isolated
    listing = json.loads(
        run([tool("ansible-galaxy"), "collection", "list", "--format", "json"], work, env)
    )
    paths = [p for p, colls in listing.items() if FQCN in colls]
    assert paths == [str(installed.parent.parent)]


def plugin_names(installed: Path, directory: str, suffix: str = ".py") -> set[str]:
    return {
        p.stem
        for p in (installed / "plugins" / directory).glob(f"*{suffix}")
        if not p.stem.startswith("_")
    }


@pytest.mark.parametrize("plugin_type,directory", [("module", "modules"), ("filter", "filter")])
def test_ansible_doc_renders_every_plugin(installed, isolated, plugin_type, directory):
    work, env = isolated
    listed = json.loads(
        run([tool("ansible-doc"), "-t", plugin_type, "--list", "--json", FQCN], work, env)
    )
    names = sorted(listed)
    assert names, f"ansible-doc lists no {plugin_type} plugins in the installed copy"
    # Every plugin file is listed: the .ps1 engine, the doc-only .py files of the action
    # plugins, and each filter file (whose docs, if they do not parse, drop it from the list).
    assert {n.rsplit(".", 1)[-1] for n in names} == plugin_names(installed, directory)
    docs = json.loads(run([tool("ansible-doc"), "-t", plugin_type, "--json", *names], work, env))
    for name in names:
        doc = docs[name]["doc"]
        assert doc.get("short_description"), f"{name}: no short_description"
        assert docs[name].get("examples"), f"{name}: no EXAMPLES"


def test_ansible_doc_renders_the_role(installed, isolated):
    work, env = isolated
    role = f"{FQCN}.offer_remote_assistance"
    docs = json.loads(run([tool("ansible-doc"), "-t", "role", "--json", role], work, env))
    main = docs[role]["entry_points"]["main"]
    assert main.get("options"), "the role's argument spec documents no options"


@pytest.mark.parametrize("playbook", ["site", "audit"])
def test_collection_playbook_syntax(installed, isolated, playbook):
    work, env = isolated
    inventory = work / "inventory.ini"
    inventory.write_text("[windows]\nws001\n", encoding="utf-8")
    out = run(
        [tool("ansible-playbook"), "-i", str(inventory), "--syntax-check", f"{FQCN}.{playbook}"],
        work,
        env,
    )
    assert f"playbook: {FQCN}.{playbook}" in out or "playbook:" in out
