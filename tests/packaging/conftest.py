"""Build the collection artifact once per test session, as `ansible-galaxy` would ship it."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from artifact_tools import ROOT, isolated_env, run, tool


@pytest.fixture(scope="session")
def galaxy() -> dict:
    return yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def artifact(tmp_path_factory, galaxy) -> Path:
    out = tmp_path_factory.mktemp("dist")
    run([tool("ansible-galaxy"), "collection", "build", str(ROOT), "--output-path", str(out)], out)
    path = out / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"
    assert path.is_file(), f"expected {path.name}, got {[p.name for p in out.iterdir()]}"
    return path


@pytest.fixture(scope="session")
def isolated(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """(work dir without ansible.cfg, env) whose collections path holds nothing yet."""
    work = tmp_path_factory.mktemp("isolated")
    config = work / "empty-ansible.cfg"
    config.write_text("[defaults]\n", encoding="utf-8")
    collections = work / "collections"
    collections.mkdir()
    return work, isolated_env(collections, config)
