"""The collection as the Galaxy artifact ships it, laid out where Ansible's tools look for it.

ansible-test and antsibull-docs need `<root>/ansible_collections/<namespace>/<name>/`. This
copies the files galaxy.yml's `manifest:` directives select into such a tree. The directives
are processed the way `ansible-galaxy collection build` processes them (distlib's Manifest,
in order, over the files on disk; with `omit_default_directives: true` ansible-galaxy adds
none of its own), so the tree holds exactly the artifact's files and uncommitted work is
included.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml
from distlib.manifest import Manifest

ROOT = Path(__file__).resolve().parent.parent


def load_galaxy(root: Path) -> dict:
    return yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))


def manifest_directives(galaxy: dict) -> list[str]:
    """galaxy.yml's directives. Only the omit_default_directives form is supported: with
    ansible-galaxy's defaults the result would depend on the ansible-core version."""
    manifest = galaxy.get("manifest") or {}
    if galaxy.get("build_ignore") or manifest.get("omit_default_directives") is not True:
        raise ValueError(
            "galaxy.yml: expected a `manifest:` with `omit_default_directives: true` and its "
            "own `directives`, and no `build_ignore`"
        )
    return list(manifest["directives"])


def shipped_files(root: Path) -> list[str]:
    """The files the artifact holds (besides the MANIFEST.json and FILES.json it generates),
    relative to root, sorted."""
    manifest = Manifest(str(root))
    for directive in manifest_directives(load_galaxy(root)):
        manifest.process_directive(directive)
    return sorted(os.path.relpath(path, root) for path in manifest.sorted(wantdirs=False))


def git_ignored(root: Path, paths: list[str]) -> list[str]:
    """The paths git ignores: scratch that must never ship."""
    proc = subprocess.run(
        ["git", "check-ignore", "--stdin", "-z"],
        cwd=root,
        input="\0".join(paths).encode("utf-8"),
        capture_output=True,
        check=False,
    )
    if proc.returncode not in (0, 1):  # 1: none ignored
        raise RuntimeError(proc.stderr.decode("utf-8", "replace"))
    return sorted(p for p in proc.stdout.decode("utf-8").split("\0") if p)


def make_tree(root: Path, dest_root: Path) -> Path:
    galaxy = load_galaxy(root)
    target = dest_root / "ansible_collections" / galaxy["namespace"] / galaxy["name"]
    target.mkdir(parents=True)
    # galaxy.yml beside the shipped files: the artifact carries the MANIFEST.json that
    # ansible-galaxy makes from it, and tools that identify a collection (antsibull-docs)
    # need one of the two.
    for rel in [*shipped_files(root), "galaxy.yml"]:
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest)
    return target
