"""Build the collection artifact once per test session, as `ansible-galaxy` would ship it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from artifact_tools import ROOT, isolated_env

# The artifact is built the way `make build` builds it (tools/build_and_check.py).
sys.path.insert(0, str(ROOT / "tools"))
from build_and_check import build
from collection_tree import load_galaxy


@pytest.fixture(scope="session")
def galaxy() -> dict:
    return load_galaxy(ROOT)


@pytest.fixture(scope="session")
def artifact(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    path = build(out)
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
