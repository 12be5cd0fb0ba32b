"""Print the bytes ansible-core sends for one run of a PowerShell module (the built payload).

Usage: <venv>/bin/python tools/engine_payload_bytes.py [MODULE.ps1 ...]
Default: plugins/modules/win_ra_state.ps1. The figure is the module payload ansible-core
builds (wrapper, module utilities, module, arguments), before WinRM framing; compare two
versions of the engine by passing both files.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ansible.executor.module_common import modify_module
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar

DEFAULT = Path(__file__).resolve().parents[1] / "plugins" / "modules" / "win_ra_state.ps1"


def payload_bytes(module: Path) -> int:
    built = modify_module(
        module_name=module.stem,
        module_path=str(module),
        module_args={"request": "e30="},
        templar=Templar(loader=DataLoader()),
        task_vars={"ansible_shell_type": "powershell"},
    )
    return len(built.b_module_data)


def main(argv: list[str]) -> None:
    for name in argv or [str(DEFAULT)]:
        print(f"{payload_bytes(Path(name))} bytes  {name}")


if __name__ == "__main__":
    main(sys.argv[1:])
