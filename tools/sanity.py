"""Run `ansible-test sanity` on exactly what the Galaxy artifact ships.

ansible-test only works inside `ansible_collections/<namespace>/<name>/`; collection_tree.py
lays out such a tree under a temporary root with exactly the files the artifact ships (no
lab, tools, checkout-only tests or virtual environments). Sanity therefore judges what
users install; the lab, a separate Python package with its own tests, is judged by ruff
and pytest instead.

Usage:
    python tools/sanity.py                     # every test that can run here
    python tools/sanity.py --test pep8         # any further ansible-test sanity arguments
    python tools/sanity.py --keep              # keep the temporary tree for inspection

Tests are run with `--venv --python 3.11`: ansible-test makes its own pinned virtual
environments (pylint, voluptuous, ...) under ~/.ansible/test, so the project's venv does not
carry sanity's dependencies. Tests that need PowerShell are skipped by name when `pwsh` is
not on PATH (see SKIPPED_WITHOUT_PWSH); with `pwsh` present they run.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from collection_tree import ROOT, make_tree, shipped_files

PYTHON_VERSION = "3.11"

# pslint runs PSScriptAnalyzer under pwsh; without pwsh it can only be skipped.
# (The PowerShell half of validate-modules is skipped per file in tests/sanity/ignore-*.txt.)
SKIPPED_WITHOUT_PWSH = {"pslint": "needs pwsh (PowerShell 7) to run PSScriptAnalyzer"}


def ensure_pip_bootstrap(python: str = PYTHON_VERSION) -> None:
    """Put a pip bootstrap where ansible-test looks before downloading its own (see pip_bootstrap.py)."""
    from ansible_test._internal.host_configs import NativePythonConfig
    from ansible_test._internal.python_requirements import get_venv_packages

    pip_version = get_venv_packages(NativePythonConfig(version=python))["pip"]
    cache = Path.home() / ".ansible" / "test" / "cache"
    script = cache / f"get_pip_{pip_version.replace('.', '_')}.py"
    wheel = cache / f"pip-{pip_version}-py3-none-any.whl"
    cache.mkdir(parents=True, exist_ok=True)
    if not wheel.is_file():
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary", ":all:",
             "--dest", str(cache), f"pip=={pip_version}"],
            check=True,
        )  # fmt: skip
    if not script.is_file():
        shutil.copyfile(Path(__file__).with_name("pip_bootstrap.py"), script)


def pwsh_skips() -> list[str]:
    if shutil.which("pwsh"):
        return []
    args = []
    for test, reason in SKIPPED_WITHOUT_PWSH.items():
        print(f"sanity: skipping {test}: {reason}", file=sys.stderr)
        args += ["--skip-test", test]
    return args


def ansible_test_command(extra: list[str]) -> list[str]:
    ansible_test = Path(sys.executable).parent / "ansible-test"
    cmd = [str(ansible_test), "sanity", "--venv", "--python", PYTHON_VERSION, "--color", "no"]
    if "--test" not in extra:
        cmd += pwsh_skips()
    return cmd + extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary tree")
    parser.add_argument(
        "--list-files", action="store_true", help="print the files checked, and stop"
    )
    args, extra = parser.parse_known_args(argv)

    if args.list_files:
        print("\n".join(shipped_files(ROOT)))
        return 0

    temp_root = Path(tempfile.mkdtemp(prefix="winra-sanity-"))
    try:
        target = make_tree(ROOT, temp_root)
        # ansible-test reads ANSIBLE_COLLECTIONS_PATH-like settings from the environment; an
        # ansible.cfg of the checkout must not leak in, and the venv's bin must be on PATH.
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env.pop("ANSIBLE_CONFIG", None)
        ensure_pip_bootstrap()
        cmd = ansible_test_command(extra)
        print("sanity:", " ".join(cmd), f"(in {target})", file=sys.stderr)
        rc = subprocess.run(cmd, cwd=target, env=env, check=False).returncode
        if args.keep:
            print(f"sanity: tree kept at {target}", file=sys.stderr)
        return rc
    finally:
        if not args.keep:
            shutil.rmtree(temp_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
