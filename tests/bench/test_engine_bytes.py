"""The bytes-per-engine-run figure: how a payload is split, and one real run on the lab."""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import ansible_windows, engine_bytes  # noqa: E402
from bench.figures import engine_bytes_table  # noqa: E402
from bench.playbook_run import ansible_env  # noqa: E402
from bench.run import measure_engine_run  # noqa: E402

SEP = b"\n\0\0\0\0\n"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _payload(scripts: dict[str, str]) -> bytes:
    bootstrap = {"name": "exec_wrapper", "script": "# wrapper \u2013 text\n", "params": {}}
    manifest = {
        "scripts": {name: {"path": name, "script": _b64(body)} for name, body in scripts.items()},
        "actions": [
            {"name": "module_wrapper.ps1",
             "params": {"Script": engine_bytes.ENGINE_SCRIPT, "ForModule": True,
                        "Variables": [{"Name": "complex_args", "Value": {"action": "read"}}]}}
        ],
        "signed_hashlist": [],
    }  # fmt: skip
    return json.dumps(bootstrap).encode() + SEP + json.dumps(manifest).encode()


def test_parts_add_up_to_the_payload_and_each_script_lands_in_its_part():
    stdin = _payload(
        {
            "module_wrapper.ps1": "w" * 10,
            engine_bytes.ENGINE_SCRIPT: "e" * 300,
            "Ansible.Basic.cs": "c" * 1000,
            "Ansible.ModuleUtils.AddType.psm1": "p" * 200,
            "Other.psm1": "q" * 20,
        }
    )
    parts = engine_bytes.payload_parts(stdin)
    assert list(parts) == list(engine_bytes.PARTS)
    assert sum(p.sent for p in parts.values()) == len(stdin)
    assert parts["engine"].source == 300
    assert parts["C# utilities"].source == 1000
    assert parts["PowerShell utilities"].source == 220
    # The bootstrap's text (UTF-8) plus the decoded module wrapper.
    assert parts["exec wrapper"].source == len("# wrapper \u2013 text\n".encode()) + 10
    # base64 makes each script 4/3 of its source; its name (key and path) and JSON keys add.
    named = 400 + 2 * len(engine_bytes.ENGINE_SCRIPT)
    assert named < parts["engine"].sent < named + 40
    assert parts["arguments and manifest"].source is None


def test_an_old_form_payload_is_refused():
    with pytest.raises(engine_bytes.PayloadError):
        engine_bytes.payload_parts(b"exec wrapper text\0\0\0\0{}")


@pytest.mark.e2e
def test_one_engine_run_sends_the_engine_file_and_the_wire_carries_more_than_stdin():
    subprocess_env = ansible_env([ROOT / "collections", ansible_windows.ensure()])
    run = measure_engine_run(subprocess_env)
    engine_file = ROOT / "plugins" / "modules" / "win_ra_state.ps1"
    assert run.parts["engine"].source == engine_file.stat().st_size
    assert sum(p.sent for p in run.parts.values()) == run.stdin
    # The engine needs no C# utility (contract 2): nothing of Ansible.Basic.cs travels.
    assert not run.parts["C# utilities"].source
    assert run.wire_in > run.stdin + run.command_line  # base64 in SOAP, plus the protocol
    table = engine_bytes_table(run)
    assert f"{run.stdin:,}" in table and f"{run.wire_in:,}" in table
