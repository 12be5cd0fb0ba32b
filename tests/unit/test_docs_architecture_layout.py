"""docs/architecture.md's file table names only paths that exist, and every folder of the
controller code and the lab's two sides is in it.

Not shipped in the artifact (galaxy.yml excludes tests/unit/test_docs_*.py): it reads lab/.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "architecture.md"


def _table_paths() -> list[str]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("## Files and their one reason to change", 1)[1].split("\n## ", 1)[0]
    first_cells = re.findall(r"^\| (.+?) \|", section, re.MULTILINE)
    return [path for cell in first_cells for path in re.findall(r"`([^`]+)`", cell)]


def _resolve(path: str, previous: str) -> list[Path]:
    # "`plugins/action/a.py`, `b.py`": a bare name lives in the folder of the path before it;
    # "`x.ps1` (+ `.py` docs)": a bare suffix is that path with another suffix.
    if path.startswith(".") and previous:
        path = str(Path(previous).with_suffix(path))
    elif "/" not in path and previous:
        path = str(Path(previous).parent / path)
    return sorted(ROOT.glob(path)) if "*" in path else [ROOT / path]


def test_every_path_in_the_file_table_exists():
    missing, previous = [], ""
    for path in _table_paths():
        found = _resolve(path, previous)
        if not found or not all(p.exists() for p in found):
            missing.append(path)
        previous = path if "/" in path else previous
    assert not missing, f"docs/architecture.md names paths that do not exist: {missing}"


def test_the_table_covers_the_controller_code_and_both_lab_sides():
    paths = _table_paths()
    for folder in ("plugins/plugin_utils/", "lab/winra_lab/wire/", "lab/winra_lab/windows/"):
        assert any(p.startswith(folder) for p in paths), folder
    assert "plugins/module_utils" not in DOC.read_text(encoding="utf-8")
