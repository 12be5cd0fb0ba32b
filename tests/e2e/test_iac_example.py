"""examples/iac-repo: the layout users copy runs as documented, including its lab CI check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "iac-repo"


def test_lab_check_of_the_example_repository_passes(tmp_path):
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / "collections"),
        "ANSIBLE_LOCAL_TEMP": str(tmp_path),
        "LAB_HOSTS": "3",
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(
        ["bash", "ci/lab-check.sh"], cwd=EXAMPLE, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-3000:]
    assert output.rstrip().endswith("lab check passed")
    # The standard came from the production inventory's group_vars, on lab hosts only.
    report = json.loads(next(tmp_path.glob("*/report/fleet-report.json")).read_text("utf-8"))
    assert report["summary"]["hosts"] == report["summary"]["compliant"] == 3
    assert "contoso.com" not in output.split("PLAY RECAP")[-1]
