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
not on PATH (see PSLINT_REASON below); with `pwsh` present they run. No test is listed in
tests/sanity/ignore-*.txt.
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

# Without pwsh (PowerShell 7) these cannot run; they are skipped by name, never ignored
# (ansible-lint's production profile forbids such ignores, and Automation Hub's import runs
# sanity with pwsh, where they do run):
# - pslint: PSScriptAnalyzer runs under pwsh;
# - validate-modules on PowerShell modules: it runs the module under pwsh to read its
#   Ansible.Basic argument spec, and stops with an error when pwsh is missing. Their .py
#   documentation files are still validated.
PSLINT_REASON = "needs pwsh (PowerShell 7) to run PSScriptAnalyzer"
PS_VALIDATE_REASON = "needs pwsh to read an Ansible.Basic argument spec"


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


def powershell_modules(collection: Path) -> list[str]:
    return sorted(
        str(p.relative_to(collection)) for p in (collection / "plugins" / "modules").glob("*.ps1")
    )


def invocations(collection: Path, extra: list[str], have_pwsh: bool) -> list[list[str]]:
    """The ansible-test sanity argument lists to run (two without pwsh, see above)."""
    if have_pwsh:
        return [extra]
    ps_modules = powershell_modules(collection)
    exclude = [arg for path in ps_modules for arg in ("--exclude", path)]
    for path in ps_modules:
        print(f"sanity: validate-modules skips {path}: {PS_VALIDATE_REASON}", file=sys.stderr)
    if "--test" in extra:  # the caller chose the tests; only keep pwsh out of them
        tests = {extra[i + 1] for i, arg in enumerate(extra[:-1]) if arg == "--test"}
        return [extra + exclude] if "validate-modules" in tests else [extra]
    print(f"sanity: skipping pslint: {PSLINT_REASON}", file=sys.stderr)
    everything_else = [*extra, "--skip-test", "pslint", "--skip-test", "validate-modules"]
    return [everything_else, [*extra, "--test", "validate-modules", *exclude]]


def ansible_test_command(args: list[str]) -> list[str]:
    ansible_test = Path(sys.executable).parent / "ansible-test"
    return [
        str(ansible_test),
        "sanity",
        "--venv",
        "--python",
        PYTHON_VERSION,
        "--color",
        "no",
        *args,
    ]


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
        rc = 0
        for run_args in invocations(target, extra, have_pwsh=bool(shutil.which("pwsh"))):
            cmd = ansible_test_command(run_args)
            print("sanity:", " ".join(cmd), f"(in {target})", file=sys.stderr, flush=True)
            rc = subprocess.run(cmd, cwd=target, env=env, check=False).returncode or rc
        if args.keep:
            print(f"sanity: tree kept at {target}", file=sys.stderr)
        return rc
    finally:
        if not args.keep:
            shutil.rmtree(temp_root, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
