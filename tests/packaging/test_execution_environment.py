"""The execution environment: ansible-builder accepts the definition, and the image's
galaxy and introspection stages would find the collection and its requirements.

No container engine is available, so the image itself is not built: `ansible-builder create`
writes the build context, the collection is installed from that context the way the galaxy
stage does it, and `ansible-builder introspect` (the builder stage's requirement collection)
runs on the result.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from artifact_tools import ROOT, isolated_env, run, tool
from bindep.depends import Depends
from packaging.requirements import Requirement

EE_FILE = ROOT / "execution-environment.yml"


@pytest.fixture(scope="module")
def definition() -> dict:
    return yaml.safe_load(EE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def context(tmp_path_factory, artifact, definition) -> Path:
    """Build context made by `ansible-builder create` from a copy of the definition."""
    project = tmp_path_factory.mktemp("ee-project")
    shutil.copy(EE_FILE, project / EE_FILE.name)
    for entry in definition.get("additional_build_files", []):
        source = project / entry["src"]
        source.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(artifact, source)
    out = project / "context"
    run([tool("ansible-builder"), "create", "-f", EE_FILE.name, "-c", str(out)], project)
    return out


def test_definition_is_builder_v3_and_names_the_current_artifact(definition, artifact):
    assert definition["version"] == 3
    sources = [entry["src"] for entry in definition["additional_build_files"]]
    assert any(Path(src).name == artifact.name for src in sources), (
        f"execution-environment.yml copies {sources}, but galaxy.yml builds {artifact.name}"
    )
    collections = definition["dependencies"]["galaxy"]["collections"]
    assert [Path(c["name"]).name for c in collections] == [artifact.name]


def test_create_writes_a_complete_build_context(context, artifact):
    assert (context / "Containerfile").is_file() or (context / "Dockerfile").is_file()
    assert (context / "_build" / "collections" / artifact.name).is_file()
    requirements = yaml.safe_load((context / "_build" / "requirements.yml").read_text())
    assert requirements["collections"][0]["type"] == "file"


@pytest.fixture(scope="module")
def galaxy_stage_install(context, isolated, tmp_path_factory) -> Path:
    """Install the collection from the context as the image's galaxy stage does (in _build)."""
    work, _env = isolated
    target = tmp_path_factory.mktemp("ee-collections")
    # its own collections path: an install elsewhere in the session must not satisfy it
    env = isolated_env(target, work / "empty-ansible.cfg")
    build_dir = context / "_build"
    run(
        [
            tool("ansible-galaxy"),
            "collection",
            "install",
            "-r",
            "requirements.yml",
            "-p",
            str(target),
        ],
        build_dir,
        env,
    )
    return target


def test_galaxy_stage_installs_the_collection(galaxy_stage_install):
    installed = galaxy_stage_install / "ansible_collections" / "winra" / "remote_assistance"
    assert (installed / "MANIFEST.json").is_file()


def test_introspection_finds_winrm_and_kerberos_requirements(galaxy_stage_install):
    out = run(
        [tool("ansible-builder"), "introspect", "--sanitize", str(galaxy_stage_install)], ROOT
    )
    data = yaml.safe_load(out)
    python = {Requirement(line.split("#")[0].strip()).name.lower() for line in data["python"]}
    assert {"pywinrm", "pypsrp", "pyspnego", "requests-ntlm"} <= python
    system = " ".join(data["system"])
    assert "krb5" in system


def test_collection_requirement_files_parse():
    for line in (ROOT / "meta" / "ee-requirements.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            Requirement(line)  # raises on a malformed line
    bindep = Depends((ROOT / "meta" / "ee-bindep.txt").read_text())
    assert "compile" in bindep.profiles()
    for platform in ("platform:rpm", "platform:dpkg"):
        runtime = {name for name, *_ in bindep.active_rules([platform])}
        with_compile = {name for name, *_ in bindep.active_rules([platform, "compile"])}
        assert any("krb5" in name for name in runtime), f"{platform}: no Kerberos runtime"
        assert "gcc" in with_compile - runtime, f"{platform}: compilers must be compile-only"
