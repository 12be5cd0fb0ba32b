"""Record what Ansible sends (command line and stdin of each command) for test fixtures.

Off unless `serve --record-dir D` or `Lab(record_dir=D)` asks for it: payloads carry
module arguments, which may be secrets.
"""

from __future__ import annotations

import itertools
import json
import threading
from pathlib import Path


class Recorder:
    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, host_name: str, command: str, arguments: str, stdin: bytes) -> Path:
        with self._lock:
            number = next(self._numbers)
        stem = self.directory / f"{number:04d}-{host_name.split('.', 1)[0]}"
        stem.with_suffix(".stdin").write_bytes(stdin)
        stem.with_suffix(".json").write_text(
            json.dumps({"command": command, "arguments": arguments}, indent=1), encoding="utf-8"
        )
        return stem
