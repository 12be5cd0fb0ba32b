"""`make test` step: the headless Chromium that the HTML report tests drive.

Installs Debian's chromium-headless-shell with apt-get when it is missing and this runs as
root; otherwise says what to do and leaves the decision to the tests (they fail in CI and
skip elsewhere, with the same message). Playwright's own browser download is not used: it
needs a CDN that many build machines cannot reach.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

PACKAGE = "chromium-headless-shell"
BROWSERS = (PACKAGE, "chromium")


def installed() -> str | None:
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


def main() -> int:
    if installed():
        return 0
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print(
            f"{PACKAGE} is not installed and cannot be installed here (needs root and apt-get): "
            f"the HTML report browser tests will skip (fail with CI=true); "
            f"`apt-get install -y {PACKAGE}` as root to run them"
        )
        return 0
    print(f"installing {PACKAGE} for the HTML report browser tests (apt-get)...", flush=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", PACKAGE]):
        done = subprocess.run(command, env=env, check=False)
        if done.returncode != 0:
            print(
                f"`{' '.join(command)}` failed ({done.returncode}): the browser tests will say so"
            )
            return 0
    return 0 if installed() else 1


if __name__ == "__main__":
    sys.exit(main())
