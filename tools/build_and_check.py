"""Build the Galaxy artifact into dist/ and check it holds exactly the expected files.

    python tools/build_and_check.py                    # dist/winra-remote_assistance-<version>.tar.gz
    python tools/build_and_check.py --update-expected  # after adding or removing shipped files

What the artifact holds is decided by galaxy.yml's `manifest:` directives alone. The check
fails when the artifact differs from tests/packaging/expected-artifact-files.txt (so every
change to what ships is a reviewed change of that list), from what sanity and the docs build
are given (collection_tree.shipped_files), or holds a file git ignores (scratch, caches).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
from pathlib import Path

from collection_tree import ROOT, git_ignored, load_galaxy, shipped_files

BIN = Path(sys.executable).parent
DIST = ROOT / "dist"
EXPECTED = ROOT / "tests" / "packaging" / "expected-artifact-files.txt"
# ansible-galaxy writes these into every artifact; galaxy.yml itself becomes MANIFEST.json.
GENERATED = {"MANIFEST.json", "FILES.json"}
EXPECTED_HEADER = (
    "# Every file of the Galaxy artifact, sorted. Regenerate after adding or removing shipped\n"
    "# files: .venv/bin/python tools/build_and_check.py --update-expected (then review the diff)\n"
)


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


def artifact_files(artifact: Path) -> list[str]:
    with tarfile.open(artifact) as tar:
        return sorted(m.name.removeprefix("./") for m in tar.getmembers() if m.isfile())


def read_expected(path: Path = EXPECTED) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith("#")]


def write_expected(files: list[str], path: Path = EXPECTED) -> None:
    path.write_text(EXPECTED_HEADER + "".join(f"{f}\n" for f in sorted(files)), encoding="utf-8")


def problems(files: list[str], expected: list[str]) -> list[str]:
    """Why the artifact's file list is wrong; empty when it is right."""
    found = []
    actual, wanted = set(files), set(expected)
    found += [f"unexpected in the artifact: {p}" for p in sorted(actual - wanted)]
    found += [f"missing from the artifact: {p}" for p in sorted(wanted - actual)]
    given_to_sanity = set(shipped_files(ROOT))
    found += [
        f"artifact and sanity tree differ: {p}"
        for p in sorted((actual - GENERATED) ^ given_to_sanity)
    ]
    found += [f"git ignores this file, yet it ships: {p}" for p in git_ignored(ROOT, files)]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--update-expected",
        action="store_true",
        help=f"rewrite {EXPECTED.relative_to(ROOT)} from the artifact built now",
    )
    args = parser.parse_args(argv)
    artifact = build()
    files = artifact_files(artifact)
    if args.update_expected:
        write_expected(files)
        print(f"build: wrote {EXPECTED.relative_to(ROOT)} ({len(files)} files)")
    found = problems(files, read_expected())
    for problem in found:
        print(f"build: {problem}", file=sys.stderr)
    if found:
        print(
            "build: if the change is intended, run tools/build_and_check.py --update-expected",
            file=sys.stderr,
        )
        return 1
    print(f"build: {artifact} ({len(files)} files, as expected)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
