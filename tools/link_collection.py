"""Link this checkout into ./collections/ansible_collections/winra/remote_assistance.

Ansible finds a collection only under an `ansible_collections/<namespace>/<name>` path.
This makes that path from one symlink per top-level entry (never one link to the checkout
itself, which would make a loop for every tool that walks the tree). It matches what
pytest-ansible's collection injection builds, so `make` and `pytest` share one tree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from collection_tree import ROOT, load_galaxy

# What a run leaves in the checkout is not part of the collection: a report written to
# ./reports must not appear inside the installed-collection path Ansible sees.
SKIP = {"collections", ".git", ".venv", "reports", ".lab", "build", "dist", ".cache"}


def link(root: Path = ROOT) -> Path:
    galaxy = load_galaxy(root)
    target = root / "collections" / "ansible_collections" / galaxy["namespace"] / galaxy["name"]
    target.mkdir(parents=True, exist_ok=True)
    for entry in root.iterdir():
        if entry.name in SKIP or entry.name.startswith(".venv"):
            stale = target / entry.name
            if stale.is_symlink():
                stale.unlink()
            continue
        link_path = target / entry.name
        if link_path.is_symlink() or link_path.exists():
            continue
        link_path.symlink_to(entry)
    return target


if __name__ == "__main__":
    print(link(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT))
