"""What the artifact holds is exactly the checked-in list, and carries its licence.

tests/packaging/expected-artifact-files.txt is regenerated with
`.venv/bin/python tools/build_and_check.py --update-expected` (review the diff: every line
added there is a file users will install).
"""

from __future__ import annotations

import hashlib
import tarfile

from artifact_tools import ROOT
from build_and_check import EXPECTED, artifact_files, problems, read_expected

# sha256 of the GNU GPL version 3 text as the FSF publishes it (gpl-3.0.txt).
GPL3_SHA256 = "3972dc9744f6499f0f9b2dbf76696f2ae7ad8af9b23dde66d6af86c9dfb36986"


def test_artifact_holds_exactly_the_expected_files(artifact):
    files = artifact_files(artifact)
    found = problems(files, read_expected())
    assert not found, (
        "\n".join(found) + f"\nIf intended, regenerate {EXPECTED.relative_to(ROOT)}: "
        ".venv/bin/python tools/build_and_check.py --update-expected"
    )


def test_expected_list_is_sorted_and_names_no_scratch():
    expected = read_expected()
    assert expected == sorted(set(expected))
    leaked = [p for p in expected if p.startswith(("lab/", "bench/", "tools/", ".lab/", "reports/",
                                                   "collections/", "tests/lab/", "tests/e2e/"))]  # fmt: skip
    assert not leaked


def test_galaxy_metadata_names_the_project_not_placeholders(galaxy):
    text = (ROOT / "galaxy.yml").read_text(encoding="utf-8")
    assert "example.invalid" not in text
    base = "https://github.com/winra/winra.remote_assistance"
    assert galaxy["repository"] == base
    assert galaxy["documentation"] == f"{base}/tree/main/docs"
    assert galaxy["issues"] == f"{base}/issues"
    assert galaxy["license"] == ["GPL-3.0-or-later"]


def test_copying_is_the_gplv3_text_and_ships(artifact):
    copying = (ROOT / "COPYING").read_bytes()
    assert copying.startswith(b"                    GNU GENERAL PUBLIC LICENSE\n")
    assert b"Version 3, 29 June 2007" in copying[:200]
    assert hashlib.sha256(copying).hexdigest() == GPL3_SHA256
    with tarfile.open(artifact) as tar:
        assert tar.extractfile("COPYING").read() == copying
