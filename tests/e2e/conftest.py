"""End-to-end fixtures: labs on loopback and ansible-playbook as a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest
from e2e_support import REPO, start_lab


@pytest.fixture(scope="session", autouse=True)
def linked_collection():
    """ansible-playbook finds the collection under ./collections (ansible.cfg)."""
    subprocess.run([sys.executable, str(REPO / "tools" / "link_collection.py")], check=True)


@pytest.fixture(scope="module")
def lab_of(tmp_path_factory):
    """Start a lab of the given profiles for this test module; stopped after the module."""
    started = []

    def start(profiles: list[str], **options):
        directory = tmp_path_factory.mktemp("lab")
        running = start_lab(profiles, directory / "inventory.ini", **options)
        started.append(running)
        return running

    yield start
    for running in started:
        running.lab.stop()
