"""Make `ansible.windows` available to the hand-rolled playbook without Galaxy.

The collection ships inside the `ansible` community package on PyPI. requirements.txt pins
that package on a `# download-only:` line (it is never installed: it would bring ~100
collections and a second ansible-core requirement into the virtualenv). We download the
wheel once and unpack only `ansible_collections/ansible/windows/` (about 2 MB of 54 MB).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELS = ROOT / ".cache" / "wheels"
COLLECTIONS = ROOT / ".cache" / "collections"
MEMBER_PREFIX = "ansible_collections/ansible/windows/"
PIN_LINE = re.compile(r"^#\s*download-only:\s*ansible==(?P<version>\S+)\s*$")


def pinned_version(requirements: Path = ROOT / "requirements.txt") -> str:
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = PIN_LINE.match(line.strip())
        if match:
            return match["version"]
    raise RuntimeError(f"no '# download-only: ansible==X' line in {requirements}")


def _wheel_path(version: str, wheels: Path) -> Path:
    return wheels / f"ansible-{version}-py3-none-any.whl"


def download_wheel(version: str, wheels: Path = WHEELS) -> Path:
    wheel = _wheel_path(version, wheels)
    if wheel.exists():
        return wheel
    wheels.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
         f"ansible=={version}", "-d", str(wheels)],
        check=True,
    )  # fmt: skip
    if not wheel.exists():
        raise RuntimeError(f"pip download did not produce {wheel}")
    return wheel


def extract_windows_collection(wheel: Path, dest: Path = COLLECTIONS) -> Path:
    """Unpack only ansible.windows; returns the collections root to put on the path."""
    target = dest / MEMBER_PREFIX
    stamp = dest / f".from-{wheel.name}"
    if stamp.exists() and (target / "MANIFEST.json").exists():
        return dest
    with zipfile.ZipFile(wheel) as archive:
        members = [name for name in archive.namelist() if name.startswith(MEMBER_PREFIX)]
        if not members:
            raise RuntimeError(f"{wheel.name} holds no {MEMBER_PREFIX}")
        for name in members:
            # The prefix check above plus zipfile's own sanitising keeps writes under dest.
            archive.extract(name, dest)
    for old in dest.glob(".from-*"):
        old.unlink()
    stamp.touch()
    return dest


def installed_version(dest: Path = COLLECTIONS) -> str:
    manifest = dest / MEMBER_PREFIX / "MANIFEST.json"
    if not manifest.exists():
        return "not installed"
    return json.loads(manifest.read_text(encoding="utf-8"))["collection_info"]["version"]


def ensure() -> Path:
    """The collections root holding ansible/windows (downloaded and unpacked once)."""
    return extract_windows_collection(download_wheel(pinned_version()))


if __name__ == "__main__":
    print(ensure())
