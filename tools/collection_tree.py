"""The collection as the Galaxy artifact ships it, laid out where Ansible's tools look for it.

ansible-test and antsibull-docs need `<root>/ansible_collections/<namespace>/<name>/`. This
copies the checkout's files (git-tracked plus untracked-but-not-ignored, so uncommitted work
is included) into such a tree, leaving out what galaxy.yml `build_ignore` leaves out of the
artifact (the lab, tools, checkout-only tests, virtual environments...).
"""

from __future__ import annotations

import fnmatch
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent

# ansible-galaxy always leaves these out of an artifact (ansible/galaxy/collection walk).
GALAXY_DEFAULT_IGNORES = [
    "MANIFEST.json",
    "FILES.json",
    "galaxy.yaml",
    "*.pyc",
    "*.retry",
    "tests/output",
]
GALAXY_IGNORED_DIR_NAMES = {"CVS", ".bzr", ".hg", ".git", ".svn", "__pycache__", ".tox"}


def load_galaxy(root: Path) -> dict:
    return yaml.safe_load((root / "galaxy.yml").read_text(encoding="utf-8"))


def candidate_files(root: Path) -> list[str]:
    """Tracked files plus untracked files git does not ignore, relative to root."""
    out = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode("utf-8")
    return sorted(p for p in out.split("\0") if p and (root / p).is_file())


def is_build_ignored(rel_path: str, patterns: list[str]) -> bool:
    """True when ansible-galaxy would leave rel_path out: the file or any parent dir matches."""
    parts = rel_path.split("/")
    if any(part in GALAXY_IGNORED_DIR_NAMES for part in parts[:-1]):
        return True
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes for pattern in patterns)


def shipped_files(root: Path) -> list[str]:
    patterns = GALAXY_DEFAULT_IGNORES + list(load_galaxy(root).get("build_ignore") or [])
    return [p for p in candidate_files(root) if not is_build_ignored(p, patterns)]


def make_tree(root: Path, dest_root: Path) -> Path:
    galaxy = load_galaxy(root)
    target = dest_root / "ansible_collections" / galaxy["namespace"] / galaxy["name"]
    target.mkdir(parents=True)
    for rel in shipped_files(root):
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / rel, dest)
    return target
