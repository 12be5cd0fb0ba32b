"""Stand-in for the get-pip script that `ansible-test --venv` downloads.

ansible-test creates its sanity virtual environments without pip and bootstraps pip with a
get-pip script from its own file server, which is not reachable from every machine (only
package registries may be). tools/sanity.py places this file where ansible-test caches that
script, next to the pip wheel of the same version fetched from the package index with an
ordinary `pip download`. Run with get-pip's arguments, it installs them with that wheel.
"""

from __future__ import annotations

import sys
from pathlib import Path

# get-pip's own switches; pip itself does not know them.
GET_PIP_ONLY_OPTIONS = {"--no-setuptools", "--no-wheel"}


def main() -> int:
    # ansible-test names the cached script get_pip_<version with underscores>.py
    here = Path(__file__).resolve()
    version = here.stem.removeprefix("get_pip_").replace("_", ".")
    wheel = here.parent / f"pip-{version}-py3-none-any.whl"
    if not wheel.is_file():
        print(f"pip bootstrap: {wheel} is missing", file=sys.stderr)
        return 1
    sys.path.insert(0, str(wheel))  # pip runs from its wheel, as get-pip does
    from pip._internal.cli.main import main as pip_main

    args = [a for a in sys.argv[1:] if a not in GET_PIP_ONLY_OPTIONS]
    return pip_main(["install", *args])


if __name__ == "__main__":
    sys.exit(main())
