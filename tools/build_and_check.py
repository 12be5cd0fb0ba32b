"""Build the Galaxy artifact into dist/ and check it holds exactly the shipped files.

    python tools/build_and_check.py             # dist/winra-remote_assistance-<version>.tar.gz

`ansible-galaxy collection build` walks the file system, so anything lying in the checkout
(git-ignored caches, lab state, reports, virtual environments) ends up in the artifact
unless galaxy.yml `build_ignore` names it. This compares the artifact with the files git
knows minus `build_ignore` (collection_tree.shipped_files, which sanity and the docs use
too) and fails on any difference, so what is tested is what ships.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

from collection_tree import ROOT, load_galaxy, shipped_files

BIN = Path(sys.executable).parent
DIST = ROOT / "dist"
# ansible-galaxy writes these into every artifact; galaxy.yml itself becomes MANIFEST.json.
GENERATED = {"MANIFEST.json", "FILES.json"}


def build(dist: Path = DIST) -> Path:
    galaxy = load_galaxy(ROOT)
    dist.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "build", "--force", "--output-path", str(dist), str(ROOT)],
        check=True,
        env=env,
        cwd=dist,
    )  # fmt: skip
    return dist / f"{galaxy['namespace']}-{galaxy['name']}-{galaxy['version']}.tar.gz"


def artifact_files(artifact: Path) -> set[str]:
    with tarfile.open(artifact) as tar:
        return {m.name.removeprefix("./") for m in tar.getmembers() if m.isfile()}


def differences(artifact: Path) -> tuple[set[str], set[str]]:
    """(in the artifact but not shipped by intent, shipped by intent but missing)."""
    expected = set(shipped_files(ROOT)) - {"galaxy.yml"}
    actual = artifact_files(artifact) - GENERATED
    return actual - expected, expected - actual


def main() -> int:
    artifact = build()
    extra, missing = differences(artifact)
    for path in sorted(extra):
        print(f"build: unexpected in the artifact (add to build_ignore?): {path}", file=sys.stderr)
    for path in sorted(missing):
        print(f"build: missing from the artifact: {path}", file=sys.stderr)
    if extra or missing:
        return 1
    print(f"build: {artifact} ({len(artifact_files(artifact))} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
